import { describe, expect, it } from "vitest";
import { PRIVILEGES, ROLES, ROLE_NAMES, isRole, privilegeNames } from "./privileges";

describe("roles and privileges (PBS pbs-api-types acl.rs)", () => {
  it("has PBS's role table", () => {
    const table = Object.fromEntries(ROLE_NAMES.map((r) => [r, [...ROLES[r]].sort()]));
    expect(table).toEqual({
      Admin: [...PRIVILEGES].sort(),
      Audit: ["Datastore.Audit", "Sys.Audit"],
      NoAccess: [],
      DatastoreAdmin: [
        "Datastore.Audit",
        "Datastore.Backup",
        "Datastore.Modify",
        "Datastore.Prune",
        "Datastore.Read",
        "Datastore.Verify",
      ],
      DatastoreReader: ["Datastore.Audit", "Datastore.Read", "Datastore.Verify"],
      DatastoreBackup: ["Datastore.Backup"],
      DatastorePowerUser: ["Datastore.Backup", "Datastore.Prune"],
      DatastoreAudit: ["Datastore.Audit"],
    });
  });

  it("gives DatastoreAdmin everything on existing datastores but not Allocate", () => {
    expect(ROLES.DatastoreAdmin).not.toContain("Datastore.Allocate");
    expect(ROLES.Admin).toContain("Datastore.Allocate");
    expect(ROLES.Admin).toContain("Permissions.Modify");
  });

  it("names privileges in PBS's bit order, as its error texts do", () => {
    expect(privilegeNames(["Datastore.Prune", "Datastore.Modify"])).toEqual(["Datastore.Modify", "Datastore.Prune"]);
    expect(privilegeNames(["Datastore.Backup", "Datastore.Audit", "Sys.Audit"])).toEqual([
      "Sys.Audit",
      "Datastore.Audit",
      "Datastore.Backup",
    ]);
  });

  it("knows its roles and no others", () => {
    expect(isRole("DatastorePowerUser")).toBe(true);
    expect(isRole("Superuser")).toBe(false);
    expect(isRole("toString")).toBe(false);
  });
});
