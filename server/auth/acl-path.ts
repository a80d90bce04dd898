/**
 * ACL paths (PBS): `/`, `/access/...`, `/datastore`, `/datastore/{store}`,
 * `/datastore/{store}/{ns...}` (namespace components joined by `/`), `/system`, `/system/tasks`.
 * PBS ACL_PATH_REGEX (SAFE_ID components) and at most 128 characters.
 */
import { CofferError } from "../datastore/model/errors";
import { BackupNamespace, MAX_NAMESPACE_DEPTH, SAFE_ID_REGEX, checkDatastoreName, printable } from "../datastore/model/names";

export const MAX_ACL_PATH_LENGTH = 128;
export const SYSTEM_TASKS_PATH = "/system/tasks";
/** Adding datastores (PBS POST /config/datastore needs Datastore.Allocate here). */
export const DATASTORES_ACL_PATH = "/datastore";
/** Managing users and their tokens (PBS /access/users). */
export const ACCESS_USERS_PATH = "/access/users";
/** Reading and changing the ACL (PBS /access/acl). */
export const ACCESS_ACL_PATH = "/access/acl";

/** Sub-paths PBS's check_acl_path knows below `/system` and `/access` (Coffer uses few of them). */
const SYSTEM_CHILDREN = new Set(["certificates", "disks", "log", "network", "notifications", "services", "status", "tasks", "time"]);
const ACCESS_CHILDREN = new Set(["acl", "users"]);

/** The path's components; `/` has none. */
export function splitAclPath(path: string): string[] {
  return path.split("/").filter((c) => c !== "");
}

/** `/datastore/{store}` for the root namespace, `/datastore/{store}/a/b` for namespace `a/b`. */
export function datastoreAclPath(store: string, ns: string | BackupNamespace = ""): string {
  const name = typeof ns === "string" ? ns : ns.toString();
  return name === "" ? `/datastore/${store}` : `/datastore/${store}/${name}`;
}

/**
 * Checks that `path` is an ACL path Coffer knows (PBS check_acl_path), so that an ACL entry never
 * sits on a path no check ever asks about. Throws BAD_REQUEST `invalid ACL path '...'`.
 */
export function checkAclPath(path: string): string {
  const invalid = (why: string) => new CofferError("BAD_REQUEST", `invalid ACL path '${printable(path)}': ${why}`);
  if (path.length < 1 || path.length > MAX_ACL_PATH_LENGTH) throw invalid(`1 to ${MAX_ACL_PATH_LENGTH} characters`);
  if (path === "/") return path;
  if (!path.startsWith("/") || path.endsWith("/")) throw invalid("must start with '/' and not end with one");
  const comps = path.slice(1).split("/");
  if (comps.some((c) => !SAFE_ID_REGEX.test(c))) throw invalid("components must be safe ids");
  const [top, second, ...rest] = comps;
  switch (top) {
    case "access":
      if (second === undefined || (ACCESS_CHILDREN.has(second) && rest.length === 0)) return path;
      break;
    case "datastore":
      if (second === undefined) return path;
      try {
        checkDatastoreName(second);
      } catch (err) {
        throw invalid((err as Error).message);
      }
      if (rest.length > MAX_NAMESPACE_DEPTH) throw invalid(`namespace deeper than ${MAX_NAMESPACE_DEPTH}`);
      return path;
    case "system":
      if (second === undefined || (SYSTEM_CHILDREN.has(second) && rest.length === 0)) return path;
      break;
  }
  throw invalid("unknown path");
}
