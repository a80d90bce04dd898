/**
 * content.search: the whole datastore, not just what the console has expanded (issue 11.5).
 * Real demo store; the users' roles are real ACL entries.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { createUser, grantRole } from "../../auth";
import { caller, callerAs, codeOf, useDemoHome } from "../test-support";

useDemoHome();

beforeAll(async () => {
  await createUser("alice@pbs", { password: "alice-secret" });
  await grantRole({ path: "/datastore/demo/prod", authId: "alice@pbs", role: "DatastoreReader" });
  await createUser("carol@pbs", { password: "carol-secret" });
  await grantRole({ path: "/datastore/demo/dev", authId: "carol@pbs", role: "DatastoreBackup" });
});

const where = (items: { kind: string; ns: string; group?: { "backup-type": string; "backup-id": string } }[]) =>
  items.map((h) => (h.kind === "namespace" ? `ns ${h.ns}` : `${h.ns || "/"} ${h.group!["backup-type"]}/${h.group!["backup-id"]}`));

describe("content.search", () => {
  it("finds groups by notes in every namespace, however deep, and says where they live", async () => {
    const hits = await caller().content.search({ store: "demo", text: "postgresql" });
    expect(where(hits.items)).toEqual(["prod/eu/db vm/400", "prod/eu/db vm/401"]);
    expect(hits.total).toBe(2);
  });

  it("finds namespaces by name before groups, and groups by type/id and owner", async () => {
    const ci = await caller().content.search({ store: "demo", text: "ci" });
    expect(where(ci.items)[0]).toBe("ns dev/ci");
    const byOwner = await caller().content.search({ store: "demo", text: "backup@pbs!nightly" });
    expect(where(byOwner.items)).toEqual(["dev/ci ct/700", "dev/ci ct/701", "prod/eu ct/310", "prod/eu ct/311"]);
  });

  it("pages through the hits, counting them all", async () => {
    const all = await caller().content.search({ store: "demo", text: "vm/", limit: 1000 });
    expect(all.total).toBeGreaterThan(5);
    const second = await caller().content.search({ store: "demo", text: "vm/", offset: 2, limit: 3 });
    expect(second.total).toBe(all.total);
    expect(where(second.items)).toEqual(where(all.items).slice(2, 5));
  });

  it("searches only where the caller may look: alice in prod, carol her own groups in dev", async () => {
    const alice = await callerAs("alice@pbs").content.search({ store: "demo", text: "vm/", limit: 1000 });
    expect(alice.items.length).toBeGreaterThan(0);
    expect(alice.items.every((h) => h.ns === "prod" || h.ns.startsWith("prod/"))).toBe(true);
    const carol = await callerAs("carol@pbs").content.search({ store: "demo", text: "/", limit: 1000 });
    // carol owns nothing in dev; the groups there belong to others.
    expect(carol.items).toEqual([]);
    expect(await codeOf(callerAs("carol@pbs").content.search({ store: "demo", text: "   " }))).toBe("BAD_REQUEST");
  });
});

describe("content.locate", () => {
  it("gives a group's and a snapshot's index in the listings' own order", async () => {
    const store = "demo";
    const ns = "prod/eu/db";
    for (const [sort, desc] of [["name", false], ["name", true], ["backup-count", true], ["last-backup", false]] as const) {
      const page = await caller().group.list({ store, ns, sort, desc });
      for (const [i, g] of page.items.entries()) {
        const group = { type: g["backup-type"], id: g["backup-id"] };
        expect((await caller().content.locate({ store, ns, group, sort, desc })).groupIndex, `${sort} ${desc} ${g["backup-id"]}`).toBe(i);
      }
    }
    const group = { type: "vm" as const, id: "400" };
    const snapshots = (await caller().snapshot.list({ store, ns, group })).items;
    const located = await caller().content.locate({ store, ns, group, time: snapshots[3]!["backup-time"] });
    const byName = (await caller().group.list({ store, ns })).items.findIndex((g) => g["backup-id"] === "400");
    expect(located).toEqual({ groupIndex: byName, snapshotIndex: 3 });
  });

  it("answers -1 for what is not there", async () => {
    expect(await caller().content.locate({ store: "demo", ns: "prod", group: { type: "vm", id: "200" }, time: 12345 })).toEqual({
      groupIndex: expect.any(Number),
      snapshotIndex: -1,
    });
  });
});
