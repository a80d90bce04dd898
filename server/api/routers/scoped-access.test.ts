/**
 * A user whose roles start below the datastore (issue 11.1): alice with DatastoreReader on
 * `/datastore/demo/prod` only. Like PBS, she sees the store's name, walks down to `prod` through
 * the namespaces above it (listed as paths only) and gets a summary limited to what she may
 * see; nothing else of the store leaks. Real auth files and the demo store.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { createUser, grantRole } from "../../auth";
import { caller, callerAs, codeOf, useDemoHome } from "../test-support";

useDemoHome();

beforeAll(async () => {
  await createUser("alice@pbs", { password: "alice-secret" });
  await grantRole({ path: "/datastore/demo/prod", authId: "alice@pbs", role: "DatastoreReader" });
  await createUser("carol@pbs", { password: "carol-secret" });
  await grantRole({ path: "/datastore/demo/prod/eu/db", authId: "carol@pbs", role: "DatastoreBackup" });
  await createUser("mallory@pbs", { password: "mallory-secret" });
});

const alice = () => callerAs("alice@pbs");

describe("namespace.list for a user with roles below the store", () => {
  it("lists the root as a path only, and prod with everything below it", async () => {
    const list = await alice().namespace.list({ store: "demo", parent: "" });
    expect(list).toEqual([{ ns: "", pathOnly: true }, { ns: "prod" }, { ns: "prod/eu" }, { ns: "prod/eu/db" }, { ns: "prod/us" }]);
  });

  it("lists every namespace between the store and a deep role as a path only", async () => {
    const list = await callerAs("carol@pbs").namespace.list({ store: "demo", parent: "" });
    expect(list).toEqual([{ ns: "", pathOnly: true }, { ns: "prod", pathOnly: true }, { ns: "prod/eu", pathOnly: true }, { ns: "prod/eu/db" }]);
    // Listing from a path-only namespace works the same way.
    expect(await callerAs("carol@pbs").namespace.list({ store: "demo", parent: "prod/eu" })).toEqual([
      { ns: "prod/eu", pathOnly: true },
      { ns: "prod/eu/db" },
    ]);
  });

  it("still refuses a user with no role anywhere in the store, and a parent beside the roles", async () => {
    expect(await codeOf(callerAs("mallory@pbs").namespace.list({ store: "demo", parent: "" }))).toBe("FORBIDDEN");
    expect(await codeOf(alice().namespace.list({ store: "demo", parent: "dev" }))).toBe("FORBIDDEN");
  });

  it("gives groups only where the role is: prod yes, the root no", async () => {
    const groups = await alice().group.list({ store: "demo", ns: "prod" });
    expect(groups.total).toBeGreaterThan(0);
    expect(await codeOf(alice().group.list({ store: "demo", ns: "" }))).toBe("FORBIDDEN");
  });
});

describe("datastore.status for a user with roles below the store", () => {
  it("counts only the groups under prod, without sizes, GC or verify status", async () => {
    const everything = await caller().datastore.status({ store: "demo" });
    const mine = await alice().datastore.status({ store: "demo" });
    expect(mine.limitedTo).toEqual(["prod"]);
    expect(mine.total).toBeUndefined();
    expect(mine.used).toBeUndefined();
    expect(mine["gc-status"]).toBeUndefined();
    expect(mine.lastVerify).toBeUndefined();

    let prodSnapshots = 0;
    let prodGroups = 0;
    for (const ns of ["prod", "prod/eu", "prod/eu/db", "prod/us"]) {
      for (const g of (await caller().group.list({ store: "demo", ns, limit: 1000 })).items) {
        if (g["backup-count"] === 0) continue;
        prodGroups++;
        prodSnapshots += g["backup-count"];
      }
    }
    const sum = (s: typeof mine) => Object.values(s.counts!).reduce((a, c) => ({ groups: a.groups + c.groups, snapshots: a.snapshots + c.snapshots }), { groups: 0, snapshots: 0 });
    expect(sum(mine)).toEqual({ groups: prodGroups, snapshots: prodSnapshots });
    expect(sum(everything).groups).toBeGreaterThan(prodGroups);
  });

  it("counts only owned groups where the role is Backup", async () => {
    const carol = await callerAs("carol@pbs").datastore.status({ store: "demo" });
    expect(carol.limitedTo).toEqual(["prod/eu/db"]);
    // carol owns nothing in prod/eu/db.
    expect(Object.values(carol.counts!).every((c) => c.groups === 0 && c.snapshots === 0)).toBe(true);
  });

  it("refuses a user with no role in the store", async () => {
    expect(await codeOf(callerAs("mallory@pbs").datastore.status({ store: "demo" }))).toBe("FORBIDDEN");
  });
});
