import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createUser } from "../../auth";
import { compareGroups } from "../../datastore/model/names";
import { caller, codeOf, coffer, useDemoHome } from "../test-support";
import { holdLock, type HeldLock } from "./content-test-support";

const env = useDemoHome();

const list = (ns: string, more: Record<string, unknown> = {}) => caller().group.list({ store: "demo", ns, limit: 1000, ...more });
const key = (g: { "backup-type": string; "backup-id": string }) => `${g["backup-type"]}/${g["backup-id"]}`;

describe("group.list", () => {
  it("lists a namespace's groups in PBS order with their total", async () => {
    const { items, total } = await list("prod");
    expect(total).toBe(items.length);
    expect(items.map(key).sort()).toEqual(["ct/210", "host/gateway", "vm/200", "vm/201"]);
    const refs = items.map((g) => ({ type: g["backup-type"], id: g["backup-id"] }));
    expect(refs).toEqual([...refs].sort(compareGroups));
  });

  it("pages: offset and limit cut the same order, total counts all", async () => {
    const all = (await list("prod")).items.map(key);
    const first = await list("prod", { offset: 0, limit: 2 });
    const second = await list("prod", { offset: 2, limit: 2 });
    expect(first.total).toBe(all.length);
    expect([...first.items, ...second.items].map(key)).toEqual(all);
    expect((await list("prod", { offset: 100, limit: 10 })).items).toEqual([]);
  });

  it("includes empty groups, with no snapshots and no last backup (PBS 4.2)", async () => {
    const empty = (await list("dev")).items.find((g) => g["backup-count"] === 0)!;
    expect(empty).toMatchObject({ "last-backup": 0, files: [] });
  });

  it("filters by id, owner and notes, case-insensitively", async () => {
    expect((await list("prod", { filter: "GATE" })).items.map(key)).toEqual(["host/gateway"]);
    expect((await list("prod", { filter: "backup@pbs" })).items.map(key)).toEqual(["ct/210"]);
    // "second node" is on the notes' first line of vm/201; "Windows" on the second line of vm/100's.
    expect((await list("prod", { filter: "second node" })).items.map(key)).toEqual(["vm/201"]);
    expect((await list("", { filter: "windows" })).items.map(key)).toEqual(["vm/100"]);
    expect(await list("prod", { filter: "nothing-like-this" })).toEqual({ items: [], total: 0 });
  });

  it("sorts by snapshot count, last backup and owner, both ways", async () => {
    const byCount = (await list("prod", { sort: "backup-count", desc: true })).items.map((g) => g["backup-count"]);
    expect(byCount).toEqual([...byCount].sort((a, b) => b - a));
    const byLast = (await list("prod", { sort: "last-backup" })).items.map((g) => g["last-backup"]);
    expect(byLast).toEqual([...byLast].sort((a, b) => a - b));
    const byOwner = (await list("prod", { sort: "owner" })).items.map((g) => g.owner ?? "");
    expect(byOwner).toEqual([...byOwner].sort((a, b) => a.localeCompare(b)));
    const desc = (await list("prod", { desc: true })).items.map(key);
    expect(desc).toEqual((await list("prod")).items.map(key).reverse());
  });

  it("refuses invalid input with BAD_REQUEST and unknown places with NOT_FOUND", async () => {
    expect(await codeOf(list("bad name"))).toBe("BAD_REQUEST");
    expect(await codeOf(list("prod", { limit: 0 }))).toBe("BAD_REQUEST");
    // @ts-expect-error: not a sort key, which is the point
    expect(await codeOf(caller().group.list({ store: "demo", ns: "prod", sort: "size" }))).toBe("BAD_REQUEST");
    expect(await codeOf(list("no/such"))).toBe("NOT_FOUND");
    expect(await codeOf(caller().group.list({ store: "no-such-store", ns: "" }))).toBe("NOT_FOUND");
  });
});

describe("group notes", () => {
  const vm100 = { store: "demo", ns: "", group: { type: "vm" as const, id: "100" } };

  it("returns the full notes and saves new ones, which the list shows by their first line", async () => {
    expect(await caller().group.notes(vm100)).toEqual({ notes: "Domain controller\nWindows Server 2022" });
    await caller().group.setNotes({ ...vm100, notes: "Domain controller (retired)\nsee ticket 42" });
    expect((await caller().group.notes(vm100)).notes).toBe("Domain controller (retired)\nsee ticket 42");
    const listed = (await list("")).items.find((g) => key(g) === "vm/100")!;
    expect(listed.comment).toBe("Domain controller (retired)");
  });

  it("answers NOT_FOUND for a missing group and BAD_REQUEST for a bad id", async () => {
    expect(await codeOf(caller().group.notes({ ...vm100, group: { type: "vm", id: "9999" } }))).toBe("NOT_FOUND");
    expect(await codeOf(caller().group.setNotes({ ...vm100, group: { type: "vm", id: "9999" }, notes: "x" }))).toBe("NOT_FOUND");
    expect(await codeOf(caller().group.notes({ ...vm100, group: { type: "vm", id: ".x" } }))).toBe("BAD_REQUEST");
  });

  it("refuses changes in read-only maintenance with PRECONDITION_FAILED and the message", async () => {
    coffer(env.home(), "maintenance", "set", "demo", "read-only", "--message", "moving racks");
    try {
      await expect(caller().group.setNotes({ ...vm100, notes: "x" })).rejects.toMatchObject({
        code: "PRECONDITION_FAILED",
        message: expect.stringContaining("moving racks"),
      });
      // Reading still works in read-only maintenance.
      await expect(caller().group.notes(vm100)).resolves.toBeDefined();
    } finally {
      coffer(env.home(), "maintenance", "clear", "demo");
    }
  });
});

describe("group.setOwner", () => {
  const ct101 = { store: "demo", ns: "", group: { type: "ct" as const, id: "101" } };

  beforeAll(async () => {
    await createUser("alice@pbs");
    await createUser("gone@pbs", { enable: false });
  });

  it("changes the owner", async () => {
    await caller().group.setOwner({ ...ct101, owner: "alice@pbs" });
    expect((await list("")).items.find((g) => key(g) === "ct/101")!.owner).toBe("alice@pbs");
    await caller().group.setOwner({ ...ct101, owner: "root@pam" });
  });

  it("refuses an invalid auth id with BAD_REQUEST and a missing group with NOT_FOUND", async () => {
    expect(await codeOf(caller().group.setOwner({ ...ct101, owner: "not an auth id" }))).toBe("BAD_REQUEST");
    expect(await codeOf(caller().group.setOwner({ ...ct101, group: { type: "ct", id: "999" }, owner: "root@pam" }))).toBe("NOT_FOUND");
  });

  it("refuses an owner that does not exist or is disabled, with PBS's text, and changes nothing", async () => {
    const before = (await list("")).items.find((g) => key(g) === "ct/101")!.owner;
    for (const [owner, message] of [
      ["nobody@pbs", "user 'nobody@pbs' is inactive or non-existent"],
      ["gone@pbs", "user 'gone@pbs' is inactive or non-existent"],
      ["alice@pbs!nosuch", "API token 'alice@pbs!nosuch' is inactive or non-existent"],
    ] as const) {
      await expect(caller().group.setOwner({ ...ct101, owner })).rejects.toMatchObject({ code: "BAD_REQUEST", message });
    }
    expect((await list("")).items.find((g) => key(g) === "ct/101")!.owner).toBe(before);
  });
});

describe("group.delete", () => {
  let held: HeldLock | undefined;
  afterEach(async () => {
    await held?.release();
    held = undefined;
  });

  it("refuses while another process holds the group lock, naming the holder", async () => {
    held = await holdLock(env.home(), "demo", "vm/201", "prod");
    const refused = caller().group.delete({ store: "demo", ns: "prod", group: { type: "vm", id: "201" } });
    await expect(refused).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringMatching(/while destroying group 'vm\/201'.*held by pid \d+ for \d+ s/),
    });
    expect((await list("prod")).items.map(key)).toContain("vm/201");
  });

  it("destroys a group and returns what it removed", async () => {
    const stats = await caller().group.delete({ store: "demo", ns: "prod", group: { type: "vm", id: "201" } });
    expect(stats).toEqual({ "removed-groups": 1, "removed-snapshots": 4, "protected-snapshots": 0 });
    expect((await list("prod")).items.map(key)).not.toContain("vm/201");
  });

  it("keeps protected snapshots and reports CONFLICT (or the stats with errorOnProtected false)", async () => {
    const input = { store: "demo", ns: "prod/eu", group: { type: "vm" as const, id: "300" } };
    await expect(caller().group.delete(input)).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining("3 snapshot(s) removed, 1 protected snapshot(s) kept"),
    });
    expect(await caller().group.delete({ ...input, errorOnProtected: false })).toEqual({
      "removed-groups": 0,
      "removed-snapshots": 0,
      "protected-snapshots": 1,
    });
  });

  it("answers NOT_FOUND for a missing group or store", async () => {
    expect(await codeOf(caller().group.delete({ store: "demo", ns: "", group: { type: "vm", id: "4242" } }))).toBe("NOT_FOUND");
    expect(await codeOf(caller().group.delete({ store: "no-such-store", ns: "", group: { type: "vm", id: "1" } }))).toBe("NOT_FOUND");
  });
});
