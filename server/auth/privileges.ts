/**
 * PBS privileges and roles (reference pbs-api-ui.md section 3; pbs-api-types `acl.rs`). Roles are
 * built in and cannot be customised, as in PBS. Coffer has no remotes, tape or realms to
 * configure, so the Remote.*, Tape.*, Sys.Console / Sys.PowerManagement and Realm.Allocate
 * privileges and the roles made of them are left out; Admin still means "everything".
 */

/**
 * In PBS's bit order (`PRIVILEGES` in acl.rs): error texts list missing privileges in this
 * order, e.g. `Datastore.Modify|Datastore.Prune`, exactly as PBS prints them.
 */
export const PRIVILEGES = [
  "Sys.Audit",
  "Sys.Modify",
  "Datastore.Audit",
  "Datastore.Allocate",
  "Datastore.Modify",
  "Datastore.Read",
  "Datastore.Verify",
  "Datastore.Backup",
  "Datastore.Prune",
  "Permissions.Modify",
] as const;

export type Privilege = (typeof PRIVILEGES)[number];

export const ROLES = {
  /** All privileges. */
  Admin: [...PRIVILEGES],
  /** View configuration and status, change nothing. */
  Audit: ["Sys.Audit", "Datastore.Audit"],
  /** Masks inherited privileges (see acl.ts). */
  NoAccess: [],
  /** Anything on existing datastores; not Datastore.Allocate. */
  DatastoreAdmin: [
    "Datastore.Audit",
    "Datastore.Modify",
    "Datastore.Read",
    "Datastore.Verify",
    "Datastore.Backup",
    "Datastore.Prune",
  ],
  /** Inspect content and restore. */
  DatastoreReader: ["Datastore.Audit", "Datastore.Verify", "Datastore.Read"],
  /** Back up and restore owned groups. */
  DatastoreBackup: ["Datastore.Backup"],
  /** Back up, restore and prune owned groups. */
  DatastorePowerUser: ["Datastore.Prune", "Datastore.Backup"],
  DatastoreAudit: ["Datastore.Audit"],
} as const satisfies Record<string, readonly Privilege[]>;

export type Role = keyof typeof ROLES;

export const ROLE_NAMES = Object.keys(ROLES) as Role[];

export const NO_ACCESS_ROLE: Role = "NoAccess";

export function isRole(s: string): s is Role {
  return Object.hasOwn(ROLES, s);
}

export function isPrivilege(s: string): s is Privilege {
  return (PRIVILEGES as readonly string[]).includes(s);
}

export function rolePrivileges(role: Role): readonly Privilege[] {
  return ROLES[role];
}

/** Privilege names in PBS's order (`privs_to_priv_names`), for messages and listings. */
export function privilegeNames(privs: Iterable<Privilege>): Privilege[] {
  const set = new Set(privs);
  return PRIVILEGES.filter((p) => set.has(p));
}
