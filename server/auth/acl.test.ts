import { describe, expect, it } from "vitest";
import { grantRole, listAcl, privilegesAt, privilegesIn, revokeRole, rolesAt, type AclEntry } from "./acl";
import { checkAclPath } from "./acl-path";
import { PRIVILEGES, ROLES, type Role } from "./privileges";
import { rejected, thrown, useAuthHome } from "./test-support";
import { createToken } from "./tokens";
import { createUser } from "./users";

function acl(...entries: Array<[path: string, authId: string, role: Role, propagate?: boolean]>): AclEntry[] {
  return entries.map(([path, authId, role, propagate]) => ({ path, "auth-id": authId, role, propagate: propagate ?? true }));
}

const privs = (entries: AclEntry[], authId: string, path: string) => [...privilegesIn(entries, authId, path)].sort();
const of = (role: Role) => [...ROLES[role]].sort();

describe("privileges from the ACL (PBS AclTree::roles, lookup_privs)", () => {
  it("propagates a role down the tree, into namespaces", () => {
    const entries = acl(["/datastore", "alice@pbs", "DatastoreAdmin"]);
    expect(privs(entries, "alice@pbs", "/datastore/st1/a/b")).toEqual(of("DatastoreAdmin"));
    expect(privs(entries, "alice@pbs", "/datastore")).toEqual(of("DatastoreAdmin"));
    expect(privs(entries, "alice@pbs", "/")).toEqual([]);
    expect(privs(entries, "alice@pbs", "/system/tasks")).toEqual([]);
    expect(privs(entries, "bob@pbs", "/datastore/st1")).toEqual([]);
  });

  it("applies a non-propagating role on its own path only", () => {
    const entries = acl(["/datastore/st1", "alice@pbs", "DatastoreReader", false]);
    expect(privs(entries, "alice@pbs", "/datastore/st1")).toEqual(of("DatastoreReader"));
    expect(privs(entries, "alice@pbs", "/datastore/st1/a")).toEqual([]);
  });

  it("lets a more specific path replace what is inherited, not add to it", () => {
    const entries = acl(["/", "alice@pbs", "Admin"], ["/datastore/st1", "alice@pbs", "DatastoreAudit"]);
    expect(privs(entries, "alice@pbs", "/datastore/st1/a")).toEqual(["Datastore.Audit"]);
    expect(privs(entries, "alice@pbs", "/datastore/st2")).toEqual([...PRIVILEGES].sort());
  });

  it("unites several roles on one path", () => {
    const entries = acl(["/datastore/st1", "alice@pbs", "DatastoreBackup"], ["/datastore/st1", "alice@pbs", "DatastoreAudit"]);
    expect(privs(entries, "alice@pbs", "/datastore/st1/x")).toEqual(["Datastore.Audit", "Datastore.Backup"]);
  });

  it("masks everything with NoAccess, even a role beside it, until a deeper grant", () => {
    const entries = acl(
      ["/", "alice@pbs", "Admin"],
      ["/datastore/st1", "alice@pbs", "NoAccess"],
      ["/datastore/st1", "alice@pbs", "DatastoreAdmin"],
      ["/datastore/st1/open", "alice@pbs", "DatastoreReader"],
    );
    expect(privs(entries, "alice@pbs", "/datastore/st1")).toEqual([]);
    expect(privs(entries, "alice@pbs", "/datastore/st1/a/b")).toEqual([]);
    expect(privs(entries, "alice@pbs", "/datastore/st1/open/deeper")).toEqual(of("DatastoreReader"));
    expect(privs(entries, "alice@pbs", "/datastore/st2")).toEqual([...PRIVILEGES].sort());
    expect([...rolesAt(entries, "alice@pbs", "/datastore/st1/a")]).toEqual([["NoAccess", false]]);
  });

  it("applies a non-propagating NoAccess on its own path only (children inherit from above it)", () => {
    const entries = acl(["/datastore", "alice@pbs", "DatastoreAudit"], ["/datastore/st1", "alice@pbs", "NoAccess", false]);
    expect(privs(entries, "alice@pbs", "/datastore/st1")).toEqual([]);
    expect(privs(entries, "alice@pbs", "/datastore/st1/a")).toEqual(["Datastore.Audit"]);
  });

  it("limits a token to the intersection of its own privileges and its user's", () => {
    const entries = acl(
      ["/", "alice@pbs!ci", "Admin"],
      ["/datastore", "alice@pbs", "DatastorePowerUser"],
      ["/datastore/st1", "alice@pbs!ci", "DatastoreBackup"],
    );
    expect(privs(entries, "alice@pbs!ci", "/datastore/st2")).toEqual(["Datastore.Backup", "Datastore.Prune"]);
    expect(privs(entries, "alice@pbs!ci", "/datastore/st1")).toEqual(["Datastore.Backup"]);
    expect(privs(entries, "alice@pbs!ci", "/system/tasks")).toEqual([]);
    // A token without entries of its own has nothing, whatever its user has.
    expect(privs(entries, "alice@pbs!other", "/datastore/st1")).toEqual([]);
    // And the user does not get the token's.
    expect(privs(entries, "alice@pbs", "/system/tasks")).toEqual([]);
  });

  it("gives root@pam every privilege, its tokens only their own", () => {
    const entries = acl(["/datastore", "root@pam!t", "DatastoreAudit"]);
    expect(privs(entries, "root@pam", "/datastore/st1/a")).toEqual([...PRIVILEGES].sort());
    expect(privs(entries, "root@pam!t", "/datastore/st1")).toEqual(["Datastore.Audit"]);
  });
});

describe("ACL paths", () => {
  it("accepts the paths Coffer checks", () => {
    for (const p of ["/", "/datastore", "/datastore/st1", "/datastore/st1/a/b/c/d/e/f/g", "/system", "/system/tasks", "/access/users"]) {
      expect(checkAclPath(p)).toBe(p);
    }
  });

  it("refuses malformed and unknown paths", () => {
    for (const p of ["", "datastore", "/datastore/", "//", "/datastore/s1", "/datastore/st1/a/b/c/d/e/f/g/h", "/datastore/st1/-x", "/tape", "/system/tasks/x", `/${"a".repeat(128)}`]) {
      expect(thrown(() => checkAclPath(p)).code, p).toBe("BAD_REQUEST");
    }
  });
});

describe("ACL storage", () => {
  useAuthHome();

  it("grants and revokes roles, changing propagate on a repeated grant", async () => {
    await createUser("alice@pbs");
    await grantRole({ path: "/datastore/st1", authId: "alice@pbs", role: "DatastoreReader" });
    expect(privilegesAt("alice@pbs", "/datastore/st1/a").has("Datastore.Read")).toBe(true);
    await grantRole({ path: "/datastore/st1", authId: "alice@pbs", role: "DatastoreReader", propagate: false });
    expect(listAcl()).toEqual([{ path: "/datastore/st1", "auth-id": "alice@pbs", role: "DatastoreReader", propagate: false }]);
    expect(privilegesAt("alice@pbs", "/datastore/st1/a").size).toBe(0);
    await revokeRole({ path: "/datastore/st1", authId: "alice@pbs", role: "DatastoreReader" });
    expect(listAcl()).toEqual([]);
    expect((await rejected(revokeRole({ path: "/datastore/st1", authId: "alice@pbs", role: "DatastoreReader" }))).code).toBe("NOT_FOUND");
  });

  it("grants only to users and tokens that exist, on valid paths and roles", async () => {
    await createUser("alice@pbs");
    await createToken("alice@pbs", "ci");
    await grantRole({ path: "/", authId: "alice@pbs!ci", role: "Audit" });
    expect((await rejected(grantRole({ path: "/", authId: "bob@pbs", role: "Audit" }))).message).toBe("no such user 'bob@pbs'");
    expect((await rejected(grantRole({ path: "/", authId: "alice@pbs!nope", role: "Audit" }))).message).toBe(
      "no such API token 'alice@pbs!nope'",
    );
    expect((await rejected(grantRole({ path: "/nowhere", authId: "alice@pbs", role: "Audit" }))).code).toBe("BAD_REQUEST");
    expect((await rejected(grantRole({ path: "/", authId: "alice@pbs", role: "Root" as Role }))).code).toBe("BAD_REQUEST");
    expect(listAcl({ authId: "alice@pbs!ci" })).toHaveLength(1);
  });
});
