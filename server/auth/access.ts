/**
 * Privilege checks for API procedures (PBS check_ns_privs_full and friends). Every procedure
 * declares an `Access` (server/api/init.ts); `checkAccess` enforces it for the caller. The
 * errors are PBS's: `permission check failed - missing Datastore.Modify|Datastore.Prune on
 * /datastore/s1/a`, `backup owner check failed (alice@pbs != bob@pbs)`.
 */
import { CofferError } from "../datastore/model/errors";
import { BackupNamespace, checkDatastoreName } from "../datastore/model/names";
import { checkBackupOwner } from "../datastore/model/owner";
import { listAcl, privilegesAt } from "./acl";
import { ACCESS_ACL_PATH, ACCESS_USERS_PATH, DATASTORES_ACL_PATH, SYSTEM_TASKS_PATH, datastoreAclPath } from "./acl-path";
import { privilegeNames, type Privilege } from "./privileges";

/**
 * What a procedure requires (the same shape as `Access` in server/api/init.ts, which should
 * become a re-export of this one):
 * - `path`: which ACL path is checked: `/datastore` (`datastores`: adding a datastore),
 *   `/datastore/{store}` (`store`), `/datastore/{store}/{ns}`
 *   (`ns`), the parent namespace's path (`ns-parent`: creating or deleting `ns`),
 *   `/system/tasks` (`system`), `/access/users` (`users`), `/access/acl` (`acl`);
 *   `authenticated` needs only a caller, `public` not even that.
 * - `privileges`: any one of them on that path gives full access (PBS `Priv1|Priv2`).
 * - `ownerPrivileges`: any one of them gives access limited to groups the caller owns (PBS
 *   "Backup/Prune + owner"). An empty list means that owners need no privilege at all (PBS task
 *   access: a task's own user may always read and stop it).
 */
export interface Access {
  path: "public" | "authenticated" | "datastores" | "store" | "ns" | "ns-parent" | "system" | "users" | "acl";
  privileges: Privilege[];
  ownerPrivileges?: Privilege[];
  /**
   * Any of these on an ACL path *below* the checked one also lets the caller in (PBS
   * list_namespaces and the datastore list: a user with a role on `/datastore/s/prod` may see
   * that `s` exists and browse down to `prod`). The grant says `below`, and the resolver must
   * limit what it returns to the paths where the caller has privileges.
   */
  belowPrivileges?: Privilege[];
}

export interface AccessInput {
  store?: string;
  /** Namespace path `a/b`; empty or absent for the root namespace. */
  ns?: string;
  /** Owner of the group (or user of the task) the call is about, when known. */
  owner?: string;
}

/**
 * How the caller got through. `ownerOnly`: only through `ownerPrivileges`. When the input
 * named no owner, the procedure must still restrict itself to what the caller owns (filter a
 * listing, or checkBackupOwner once it has read a group's owner).
 */
export interface AccessGrant {
  ownerOnly: boolean;
  /** Only through `belowPrivileges`: nothing at the path itself, something below it. */
  below?: boolean;
  /** The ACL path that was checked, if any. */
  path?: string;
}

export function unauthorized(): CofferError {
  return new CofferError("UNAUTHORIZED", "authentication required");
}

/** PBS's FORBIDDEN text; names in PBS order, joined by `|` (any of them would do). */
export function permissionError(required: Iterable<Privilege>, path: string): CofferError {
  return new CofferError("FORBIDDEN", `permission check failed - missing ${privilegeNames(required).join("|")} on ${path}`);
}

function hasAny(have: Set<Privilege>, wanted: readonly Privilege[]): boolean {
  return wanted.some((p) => have.has(p));
}

/**
 * PBS check_ns_privs_full: passes with any of `full` (ownerOnly false) or, failing that, any of
 * `partial` (ownerOnly true); otherwise throws FORBIDDEN naming both sets.
 */
export function checkPrivileges(
  authId: string,
  path: string,
  full: readonly Privilege[],
  partial: readonly Privilege[] = [],
): AccessGrant {
  const have = privilegesAt(authId, path);
  if (hasAny(have, full)) return { ownerOnly: false, path };
  if (hasAny(have, partial)) return { ownerOnly: true, path };
  throw permissionError([...full, ...partial], path);
}

function requireStore(input: AccessInput): string {
  if (input.store === undefined) throw new CofferError("BAD_REQUEST", "store: required");
  return checkDatastoreName(input.store);
}

/** Parses the namespace (BAD_REQUEST with the engine's text when invalid). */
function parseNs(ns: string | undefined): BackupNamespace {
  return BackupNamespace.parse(ns ?? "");
}

/** The ACL path an access declaration checks for this input; undefined for public/authenticated. */
export function accessPath(access: Access, input: AccessInput): string | undefined {
  switch (access.path) {
    case "public":
    case "authenticated":
      return undefined;
    case "datastores":
      return DATASTORES_ACL_PATH;
    case "store":
      return datastoreAclPath(requireStore(input));
    case "ns":
      return datastoreAclPath(requireStore(input), parseNs(input.ns));
    case "ns-parent": {
      const store = requireStore(input);
      const ns = parseNs(input.ns);
      // PBS check_ns_modification_privs.
      if (ns.isRoot) throw new CofferError("BAD_REQUEST", "Cannot create/delete root namespace!");
      return datastoreAclPath(store, ns.parent());
    }
    case "system":
      return SYSTEM_TASKS_PATH;
    case "users":
      return ACCESS_USERS_PATH;
    case "acl":
      return ACCESS_ACL_PATH;
  }
}

/**
 * Enforces `access` for `authId` (undefined: nobody is logged in). Throws UNAUTHORIZED without
 * a caller (except for `public`), FORBIDDEN with PBS's text when no listed privilege is held,
 * and PBS's owner error when only `ownerPrivileges` are held and `input.owner` is someone else.
 *
 * A declaration that lists privileges for `public` / `authenticated` (where no path is checked)
 * is refused as a programming error rather than silently ignored: it fails closed.
 */
export function checkAccess(authId: string | undefined, access: Access, input: AccessInput = {}): AccessGrant {
  if (access.path === "public") {
    assertNoPrivileges(access);
    return { ownerOnly: false };
  }
  if (!authId) throw unauthorized();
  const path = accessPath(access, input);
  if (path === undefined) {
    assertNoPrivileges(access);
    return { ownerOnly: false };
  }
  const owner = access.ownerPrivileges;
  if (access.privileges.length === 0 && owner === undefined) {
    throw new CofferError("INTERNAL", `access declaration for ${path} lists no privileges`);
  }
  const have = privilegesAt(authId, path);
  if (hasAny(have, access.privileges)) return { ownerOnly: false, path };
  if (owner !== undefined && (owner.length === 0 || hasAny(have, owner))) {
    if (input.owner !== undefined) checkBackupOwner(input.owner, authId);
    return { ownerOnly: true, path };
  }
  if (access.belowPrivileges && privilegedPathsBelow(authId, path, access.belowPrivileges).length > 0) {
    return { ownerOnly: false, below: true, path };
  }
  throw permissionError([...access.privileges, ...(owner ?? [])], path);
}

function assertNoPrivileges(access: Access): void {
  if (access.privileges.length > 0 || (access.ownerPrivileges?.length ?? 0) > 0) {
    throw new CofferError("INTERNAL", `access declaration with path '${access.path}' cannot check privileges`);
  }
}

/**
 * Move-group (reference pbs-api-ui.md 3, PBS 4.2): Modify, or Prune, on the source namespace;
 * Modify, or Backup, on the target; when either side passed only through Prune or Backup, the
 * caller must own the group ("Prune on the source and Backup on the target plus ownership, or
 * Modify on both"). The source is checked first, as PBS does.
 *
 * `groupOwner` is the group's owner as read from the datastore. When ownership decides and it
 * is not given, the check fails closed (FORBIDDEN): read the owner first.
 */
export function checkMoveAccess(
  authId: string | undefined,
  store: string,
  sourceNs: string,
  targetNs: string,
  groupOwner?: string,
): AccessGrant {
  if (!authId) throw unauthorized();
  checkDatastoreName(store);
  const source = checkPrivileges(authId, datastoreAclPath(store, parseNs(sourceNs)), ["Datastore.Modify"], ["Datastore.Prune"]);
  const target = checkPrivileges(authId, datastoreAclPath(store, parseNs(targetNs)), ["Datastore.Modify"], ["Datastore.Backup"]);
  if (!source.ownerOnly && !target.ownerOnly) return { ownerOnly: false };
  if (groupOwner === undefined) {
    throw new CofferError("FORBIDDEN", `backup owner check failed (${authId} != unknown owner)`);
  }
  checkBackupOwner(groupOwner, authId);
  return { ownerOnly: true };
}

/**
 * Move-namespace: Modify on the parent of the source and on the parent of the target (PBS
 * check_ns_modification_privs on both; no owner route). A root source or target is refused with
 * PBS's `Cannot create/delete root namespace!`.
 */
export function checkMoveNamespaceAccess(authId: string | undefined, store: string, sourceNs: string, targetNs: string): void {
  const access: Access = { path: "ns-parent", privileges: ["Datastore.Modify"] };
  checkAccess(authId, access, { store, ns: sourceNs });
  checkAccess(authId, access, { store, ns: targetNs });
}

const BELOW_STORE: readonly Privilege[] = ["Datastore.Audit", "Datastore.Modify", "Datastore.Read", "Datastore.Backup"];

/**
 * The ACL paths strictly below `path` where `authId` (or, for a token, its user) has an entry
 * and holds any of `wanted` there. Privileges only come from entries, so these are the only
 * places below `path` where access can begin.
 */
export function privilegedPathsBelow(authId: string, path: string, wanted: readonly Privilege[]): string[] {
  const prefix = `${path}/`;
  const user = authId.includes("!") ? authId.slice(0, authId.indexOf("!")) : authId;
  const below = new Set(listAcl().filter((e) => e.path.startsWith(prefix) && (e["auth-id"] === authId || e["auth-id"] === user)).map((e) => e.path));
  return [...below].filter((p) => hasAny(privilegesAt(authId, p), wanted)).sort();
}

/**
 * Whether a datastore appears in `authId`'s datastore list (PBS 2.1 GET /admin/datastore):
 * Audit or Backup on `/datastore/{store}`, or Audit, Modify, Read or Backup on some namespace
 * below it (then PBS shows only the name; `full` is false).
 */
export function datastoreVisibility(authId: string, store: string): { visible: boolean; full: boolean } {
  const storePath = datastoreAclPath(store);
  const here = privilegesAt(authId, storePath);
  if (hasAny(here, ["Datastore.Audit", "Datastore.Backup"])) return { visible: true, full: true };
  return { visible: privilegedPathsBelow(authId, storePath, BELOW_STORE).length > 0, full: false };
}
