/**
 * The ACL (PBS acl.cfg) in `COFFER_HOME/etc/acl.json`:
 *
 * ```json
 * { "acl": [ { "path": "/", "auth-id": "admin@pbs", "role": "Admin", "propagate": true } ] }
 * ```
 *
 * and how privileges follow from it, exactly as PBS's AclTree::roles and
 * CachedUserInfo::lookup_privs compute them:
 * - walk from `/` down to the path; at each level, the caller's entries there apply if they
 *   propagate or if that level is the path itself;
 * - a level with applicable entries REPLACES what was inherited (more specific wins, it does not
 *   add); a level without any keeps the inherited set;
 * - an applicable NoAccess at a level makes that level's set empty, whatever else is there;
 * - a token gets the intersection of its own privileges and its user's at the same path;
 * - root@pam (the local superuser the CLI acts as) has every privilege everywhere.
 */
import { z } from "zod";
import { CofferError } from "../datastore/model/errors";
import { authIdUser, isValidAuthId, LOCAL_ROOT } from "../datastore/model/owner";
import { printable } from "../datastore/model/names";
import { checkAclPath, splitAclPath } from "./acl-path";
import { authPaths, readConfigShared, readConfigSync, withAuthLock, writeConfig } from "./auth-files";
import { getToken } from "./tokens";
import { getUser } from "./users";
import { NO_ACCESS_ROLE, PRIVILEGES, ROLE_NAMES, ROLES, type Privilege, type Role } from "./privileges";

const aclEntrySchema = z.object({
  path: z.string().min(1),
  "auth-id": z.string().refine(isValidAuthId),
  role: z.enum(ROLE_NAMES as [Role, ...Role[]]),
  propagate: z.boolean().default(true),
});

const aclFileSchema = z.object({ acl: z.array(aclEntrySchema) });

export type AclEntry = z.infer<typeof aclEntrySchema>;
type AclFile = z.infer<typeof aclFileSchema>;

const emptyAcl = (): AclFile => ({ acl: [] });

export function listAcl(filter: { path?: string; authId?: string } = {}): AclEntry[] {
  return readConfigShared(authPaths.acl(), aclFileSchema, emptyAcl).acl.filter(
    (e) => (filter.path === undefined || e.path === filter.path) && (filter.authId === undefined || e["auth-id"] === filter.authId),
  );
}

function compareEntries(a: AclEntry, b: AclEntry): number {
  const ka = `${a.path}\u0000${a["auth-id"]}\u0000${a.role}`;
  const kb = `${b.path}\u0000${b["auth-id"]}\u0000${b.role}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** The auth id an ACL entry is for must exist: a user of ours, or one of their tokens. */
function checkAclAuthId(authId: string): void {
  if (!isValidAuthId(authId)) throw new CofferError("BAD_REQUEST", `invalid auth id '${printable(authId)}'`);
  const exists = authId.includes("!") ? getToken(authId) !== undefined : getUser(authId) !== undefined;
  if (!exists) {
    throw new CofferError("NOT_FOUND", authId.includes("!") ? `no such API token '${authId}'` : `no such user '${authId}'`);
  }
}

/**
 * Grants `role` on `path` to `authId` (PBS PUT /access/acl); granting it again only changes
 * `propagate`. Several roles may sit on one path for one auth id, as in PBS.
 */
export async function grantRole(entry: { path: string; authId: string; role: Role; propagate?: boolean }): Promise<AclEntry> {
  checkAclPath(entry.path);
  if (!Object.hasOwn(ROLES, entry.role)) throw new CofferError("BAD_REQUEST", `unknown role '${printable(entry.role)}'`);
  const next: AclEntry = { path: entry.path, "auth-id": entry.authId, role: entry.role, propagate: entry.propagate ?? true };
  await withAuthLock(async () => {
    checkAclAuthId(entry.authId);
    const current = readConfigSync(authPaths.acl(), aclFileSchema, emptyAcl, { fresh: true });
    const kept = current.acl.filter(
      (e) => !(e.path === next.path && e["auth-id"] === next["auth-id"] && e.role === next.role),
    );
    await writeConfig(authPaths.acl(), aclFileSchema, { acl: [...kept, next].sort(compareEntries) });
  });
  return next;
}

/** Removes one role of `authId` on `path` (PBS PUT /access/acl with `delete`). */
export async function revokeRole(entry: { path: string; authId: string; role: Role }): Promise<void> {
  await withAuthLock(async () => {
    const current = readConfigSync(authPaths.acl(), aclFileSchema, emptyAcl, { fresh: true });
    const kept = current.acl.filter((e) => !(e.path === entry.path && e["auth-id"] === entry.authId && e.role === entry.role));
    if (kept.length === current.acl.length) {
      throw new CofferError("NOT_FOUND", `no ACL entry '${entry.role}' for '${entry.authId}' on '${entry.path}'`);
    }
    await writeConfig(authPaths.acl(), aclFileSchema, { acl: kept });
  });
}

/** Adds an entry while the caller holds the auth lock (admin bootstrap); no existence check. */
export async function addAclEntryLocked(entry: AclEntry): Promise<void> {
  checkAclPath(entry.path);
  const current = readConfigSync(authPaths.acl(), aclFileSchema, emptyAcl, { fresh: true });
  const kept = current.acl.filter((e) => !(e.path === entry.path && e["auth-id"] === entry["auth-id"] && e.role === entry.role));
  await writeConfig(authPaths.acl(), aclFileSchema, { acl: [...kept, entry].sort(compareEntries) });
}

/** For user and token removal, which hold the auth lock already. */
export async function removeAclEntriesLocked(matches: (authId: string) => boolean): Promise<void> {
  const current = readConfigSync(authPaths.acl(), aclFileSchema, emptyAcl, { fresh: true });
  const kept = current.acl.filter((e) => !matches(e["auth-id"]));
  if (kept.length !== current.acl.length) await writeConfig(authPaths.acl(), aclFileSchema, { acl: kept });
}

/**
 * The roles of `authId` that apply at `path`, with their propagate flag (PBS AclTree::roles).
 * Pure: `entries` is the whole ACL.
 */
export function rolesAt(entries: readonly AclEntry[], authId: string, path: string): Map<Role, boolean> {
  const comps = splitAclPath(path);
  let roles = new Map<Role, boolean>();
  for (let depth = 0; depth <= comps.length; depth++) {
    const nodePath = `/${comps.slice(0, depth).join("/")}`;
    const leaf = depth === comps.length;
    const here = new Map<Role, boolean>();
    let noAccess = false;
    for (const e of entries) {
      if (e.path !== nodePath || e["auth-id"] !== authId) continue;
      if (!e.propagate && !leaf) continue;
      if (e.role === NO_ACCESS_ROLE) noAccess = true;
      here.set(e.role, e.propagate);
    }
    if (noAccess) roles = new Map([[NO_ACCESS_ROLE, false]]);
    else if (here.size > 0) roles = here;
  }
  return roles;
}

function privilegesOfRoles(roles: Map<Role, boolean>): Set<Privilege> {
  const privs = new Set<Privilege>();
  for (const role of roles.keys()) for (const p of ROLES[role]) privs.add(p);
  return privs;
}

/** PBS CachedUserInfo::lookup_privs over the given ACL. Pure. */
export function privilegesIn(entries: readonly AclEntry[], authId: string, path: string): Set<Privilege> {
  if (authId === LOCAL_ROOT) return new Set(PRIVILEGES);
  const own = privilegesOfRoles(rolesAt(entries, authId, path));
  if (!authId.includes("!")) return own;
  // A token never has more than its user (PBS: "limit privs to that of owning user").
  const user = privilegesIn(entries, authIdUser(authId), path);
  return new Set([...own].filter((p) => user.has(p)));
}

/** The privileges of `authId` on the ACL path `path` (e.g. `/datastore/s1/a/b`). */
export function privilegesAt(authId: string, path: string): Set<Privilege> {
  return privilegesIn(listAcl(), authId, path);
}
