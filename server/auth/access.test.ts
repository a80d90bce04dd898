import { beforeEach, describe, expect, it } from "vitest";
import { checkAccess, checkMoveAccess, checkMoveNamespaceAccess, type Access } from "./access";
import { grantRole } from "./acl";
import type { Role } from "./privileges";
import { thrown, useAuthHome } from "./test-support";
import { createToken } from "./tokens";
import { createUser } from "./users";

useAuthHome();

async function setup(grants: Array<[path: string, authId: string, role: Role, propagate?: boolean]>): Promise<void> {
  for (const [path, authId, role, propagate] of grants) {
    await grantRole({ path, authId, role, propagate: propagate ?? true });
  }
}

beforeEach(async () => {
  for (const u of ["alice@pbs", "bob@pbs", "carol@pbs"]) await createUser(u);
  await createToken("bob@pbs", "tok");
});

const store = (privileges: Access["privileges"]): Access => ({ path: "store", privileges });
const ns = (privileges: Access["privileges"], ownerPrivileges?: Access["ownerPrivileges"]): Access => ({
  path: "ns",
  privileges,
  ...(ownerPrivileges ? { ownerPrivileges } : {}),
});

describe("checkAccess", () => {
  it("requires a caller except for public procedures", () => {
    expect(checkAccess(undefined, { path: "public", privileges: [] })).toEqual({ ownerOnly: false });
    const err = thrown(() => checkAccess(undefined, { path: "authenticated", privileges: [] }));
    expect(err).toMatchObject({ code: "UNAUTHORIZED", message: "authentication required" });
    expect(thrown(() => checkAccess(undefined, store(["Datastore.Audit"]), { store: "st1" })).code).toBe("UNAUTHORIZED");
    expect(checkAccess("carol@pbs", { path: "authenticated", privileges: [] })).toEqual({ ownerOnly: false });
  });

  it("checks /datastore/{store} with PBS's text, any listed privilege sufficing", async () => {
    await setup([["/datastore/st1", "alice@pbs", "DatastoreAudit"]]);
    expect(checkAccess("alice@pbs", store(["Datastore.Modify", "Datastore.Audit"]), { store: "st1" })).toEqual({
      ownerOnly: false,
      path: "/datastore/st1",
    });
    expect(thrown(() => checkAccess("alice@pbs", store(["Datastore.Audit"]), { store: "st2" }))).toMatchObject({
      code: "FORBIDDEN",
      message: "permission check failed - missing Datastore.Audit on /datastore/st2",
    });
  });

  it("checks /datastore/{store}/{ns}, naming privileges in PBS's order", async () => {
    await setup([["/datastore/st1/a", "alice@pbs", "DatastoreReader"]]);
    expect(checkAccess("alice@pbs", ns(["Datastore.Read"]), { store: "st1", ns: "a/b" }).path).toBe("/datastore/st1/a/b");
    expect(thrown(() => checkAccess("alice@pbs", ns(["Datastore.Prune", "Datastore.Modify"]), { store: "st1", ns: "a/b" })).message).toBe(
      "permission check failed - missing Datastore.Modify|Datastore.Prune on /datastore/st1/a/b",
    );
    expect(thrown(() => checkAccess("alice@pbs", ns(["Datastore.Read"]), { store: "st1" })).message).toBe(
      "permission check failed - missing Datastore.Read on /datastore/st1",
    );
  });

  it("checks the parent namespace for ns-parent, and refuses the root namespace as PBS does", async () => {
    await setup([["/datastore/st1/a", "alice@pbs", "DatastoreAdmin", false]]);
    const access: Access = { path: "ns-parent", privileges: ["Datastore.Modify"] };
    expect(checkAccess("alice@pbs", access, { store: "st1", ns: "a/new" }).path).toBe("/datastore/st1/a");
    expect(thrown(() => checkAccess("alice@pbs", access, { store: "st1", ns: "a" })).message).toBe(
      "permission check failed - missing Datastore.Modify on /datastore/st1",
    );
    expect(thrown(() => checkAccess("alice@pbs", access, { store: "st1", ns: "" }))).toMatchObject({
      code: "BAD_REQUEST",
      message: "Cannot create/delete root namespace!",
    });
  });

  it("checks /system/tasks for system procedures", async () => {
    await setup([["/system", "alice@pbs", "Audit"]]);
    expect(checkAccess("alice@pbs", { path: "system", privileges: ["Sys.Audit"] }).path).toBe("/system/tasks");
    expect(thrown(() => checkAccess("bob@pbs", { path: "system", privileges: ["Sys.Modify"] })).message).toBe(
      "permission check failed - missing Sys.Modify on /system/tasks",
    );
  });

  it("limits owner privileges to the caller's own groups (or its user's tokens')", async () => {
    await setup([
      ["/datastore/st1", "bob@pbs", "DatastoreBackup"],
      ["/datastore/st1", "bob@pbs!tok", "DatastoreBackup"],
      ["/datastore/st1", "alice@pbs", "DatastoreAudit"],
    ]);
    const access = ns(["Datastore.Audit"], ["Datastore.Backup"]);
    const input = { store: "st1", ns: "a" };
    expect(checkAccess("bob@pbs", access, input)).toEqual({ ownerOnly: true, path: "/datastore/st1/a" });
    expect(checkAccess("bob@pbs", access, { ...input, owner: "bob@pbs" }).ownerOnly).toBe(true);
    expect(checkAccess("bob@pbs", access, { ...input, owner: "bob@pbs!tok" }).ownerOnly).toBe(true);
    expect(thrown(() => checkAccess("bob@pbs", access, { ...input, owner: "carol@pbs" }))).toMatchObject({
      code: "FORBIDDEN",
      message: "backup owner check failed (bob@pbs != carol@pbs)",
    });
    // A token does not own its user's groups.
    expect(thrown(() => checkAccess("bob@pbs!tok", access, { ...input, owner: "bob@pbs" })).message).toBe(
      "backup owner check failed (bob@pbs!tok != bob@pbs)",
    );
    // Full privilege: any owner.
    expect(checkAccess("alice@pbs", access, { ...input, owner: "carol@pbs" })).toEqual({ ownerOnly: false, path: "/datastore/st1/a" });
    expect(thrown(() => checkAccess("carol@pbs", access, input)).message).toBe(
      "permission check failed - missing Datastore.Audit|Datastore.Backup on /datastore/st1/a",
    );
  });

  it("lets a task's own user through with no privilege when ownerPrivileges is empty", async () => {
    await setup([["/system/tasks", "alice@pbs", "Audit"]]);
    const access: Access = { path: "system", privileges: ["Sys.Audit"], ownerPrivileges: [] };
    expect(checkAccess("bob@pbs", access, { owner: "bob@pbs!tok" }).ownerOnly).toBe(true);
    expect(checkAccess("bob@pbs", access).ownerOnly).toBe(true);
    expect(thrown(() => checkAccess("bob@pbs", access, { owner: "carol@pbs" })).code).toBe("FORBIDDEN");
    expect(checkAccess("alice@pbs", access, { owner: "carol@pbs" }).ownerOnly).toBe(false);
  });

  it("fails closed on bad input and on declarations that check nothing", () => {
    expect(thrown(() => checkAccess("alice@pbs", store(["Datastore.Audit"]), {})).code).toBe("BAD_REQUEST");
    expect(thrown(() => checkAccess("alice@pbs", store(["Datastore.Audit"]), { store: "x" })).code).toBe("BAD_REQUEST");
    expect(thrown(() => checkAccess("alice@pbs", ns(["Datastore.Audit"]), { store: "st1", ns: "a//b" })).code).toBe("BAD_REQUEST");
    expect(thrown(() => checkAccess("alice@pbs", store([]), { store: "st1" })).code).toBe("INTERNAL");
    expect(thrown(() => checkAccess("alice@pbs", { path: "authenticated", privileges: ["Sys.Audit"] })).code).toBe("INTERNAL");
    expect(thrown(() => checkAccess(undefined, { path: "public", privileges: ["Sys.Audit"] })).code).toBe("INTERNAL");
  });
});

describe("checkMoveAccess (PBS 4.2 move-group)", () => {
  it("allows Modify on both sides whoever owns the group", async () => {
    await setup([["/datastore/st1", "alice@pbs", "DatastoreAdmin"]]);
    expect(checkMoveAccess("alice@pbs", "st1", "src", "dst", "carol@pbs")).toEqual({ ownerOnly: false });
    expect(checkMoveAccess("alice@pbs", "st1", "src", "")).toEqual({ ownerOnly: false });
  });

  it("allows Prune on the source and Backup on the target to the group's owner only", async () => {
    await setup([
      ["/datastore/st1/src", "bob@pbs", "DatastorePowerUser"],
      ["/datastore/st1/dst", "bob@pbs", "DatastoreBackup"],
    ]);
    expect(checkMoveAccess("bob@pbs", "st1", "src", "dst", "bob@pbs")).toEqual({ ownerOnly: true });
    expect(checkMoveAccess("bob@pbs", "st1", "src", "dst", "bob@pbs!tok")).toEqual({ ownerOnly: true });
    expect(thrown(() => checkMoveAccess("bob@pbs", "st1", "src", "dst", "carol@pbs")).message).toBe(
      "backup owner check failed (bob@pbs != carol@pbs)",
    );
    // Unknown owner: fails closed.
    expect(thrown(() => checkMoveAccess("bob@pbs", "st1", "src", "dst")).code).toBe("FORBIDDEN");
  });

  it("needs ownership when only one side is limited", async () => {
    await setup([
      ["/datastore/st1/src", "bob@pbs", "DatastoreAdmin"],
      ["/datastore/st1/dst", "bob@pbs", "DatastoreBackup"],
    ]);
    expect(thrown(() => checkMoveAccess("bob@pbs", "st1", "src", "dst", "carol@pbs")).code).toBe("FORBIDDEN");
    expect(checkMoveAccess("bob@pbs", "st1", "src", "dst", "bob@pbs").ownerOnly).toBe(true);
  });

  it("names the missing side with PBS's text, the source first", async () => {
    await setup([
      ["/datastore/st1/src", "bob@pbs", "DatastoreBackup"],
      ["/datastore/st1/dst", "bob@pbs", "DatastoreReader"],
      ["/datastore/st1/src2", "bob@pbs", "DatastorePowerUser"],
    ]);
    expect(thrown(() => checkMoveAccess("bob@pbs", "st1", "src", "dst", "bob@pbs")).message).toBe(
      "permission check failed - missing Datastore.Modify|Datastore.Prune on /datastore/st1/src",
    );
    expect(thrown(() => checkMoveAccess("bob@pbs", "st1", "src2", "dst", "bob@pbs")).message).toBe(
      "permission check failed - missing Datastore.Modify|Datastore.Backup on /datastore/st1/dst",
    );
    expect(thrown(() => checkMoveAccess(undefined, "st1", "src", "dst")).code).toBe("UNAUTHORIZED");
  });
});

describe("checkMoveNamespaceAccess", () => {
  it("needs Modify on the parents of source and target, with no owner route", async () => {
    await setup([
      ["/datastore/st1/a", "alice@pbs", "DatastoreAdmin"],
      ["/datastore/st1/c", "alice@pbs", "DatastorePowerUser"],
    ]);
    expect(() => checkMoveNamespaceAccess("alice@pbs", "st1", "a/b", "a/x")).not.toThrow();
    expect(thrown(() => checkMoveNamespaceAccess("alice@pbs", "st1", "a/b", "c/d")).message).toBe(
      "permission check failed - missing Datastore.Modify on /datastore/st1/c",
    );
    expect(thrown(() => checkMoveNamespaceAccess("alice@pbs", "st1", "a", "a/x")).message).toBe(
      "permission check failed - missing Datastore.Modify on /datastore/st1",
    );
    expect(thrown(() => checkMoveNamespaceAccess("alice@pbs", "st1", "a/b", "")).message).toBe("Cannot create/delete root namespace!");
  });
});
