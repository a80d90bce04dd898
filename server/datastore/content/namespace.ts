/**
 * Namespaces on disk: `ns/<a>/ns/<b>` below the datastore base (reference 1.3, 4.9).
 * There are no namespace locks (PBS 4.2 has none); creation is mkdir, removal is rmdir of
 * emptied directories, so concurrent work in a namespace makes a removal partial, never lossy.
 */
import { CofferError, errorMessage, isErrno } from "../model/errors";
import { addDeleteStats, type DeleteStats, destroyGroup, emptyDeleteStats } from "./destroy";
import { listGroups } from "./group";
import { typeDirRel } from "../storage/layout";
import { nullLog, type EngineLog } from "../model/log";
import { BACKUP_TYPES, BackupNamespace, MAX_NAMESPACE_COMPONENT_LENGTH, MAX_NAMESPACE_DEPTH, printable } from "../model/names";
import type { Store } from "../storage/store";

export async function namespaceExists(store: Store, ns: BackupNamespace): Promise<boolean> {
  if (ns.isRoot) return true;
  const st = await store.backend.stat(ns.path());
  return st?.isDirectory ?? false;
}

export async function assertNamespaceExists(store: Store, ns: BackupNamespace): Promise<void> {
  if (!(await namespaceExists(store, ns))) throw new CofferError("NOT_FOUND", `namespace '${ns}' does not exist`);
}

/** Direct children, sorted by name. A directory with an invalid name is an error, as in PBS. */
export async function listChildNamespaces(store: Store, ns: BackupNamespace): Promise<BackupNamespace[]> {
  const dir = ns.isRoot ? "ns" : `${ns.path()}/ns`;
  const entries = await store.backend.list(dir, { missingOk: true });
  const out: BackupNamespace[] = [];
  for (const e of entries) {
    if (!e.isDirectory) continue;
    try {
      out.push(ns.push(e.name));
    } catch (err) {
      throw new CofferError(
        "INTERNAL",
        `invalid namespace directory ${JSON.stringify(store.backend.absolute(`${dir}/${e.name}`))}: ${errorMessage(err)}`,
      );
    }
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The anchor and its descendants, pre-order depth-first (PBS ListNamespacesRecursive).
 * `maxDepth` is relative to the anchor (default 7), clamped so no result is deeper than 7.
 */
export async function listNamespacesRecursive(
  store: Store,
  anchor: BackupNamespace,
  maxDepth: number = MAX_NAMESPACE_DEPTH,
): Promise<BackupNamespace[]> {
  if (!Number.isInteger(maxDepth) || maxDepth < 0) {
    throw new CofferError("BAD_REQUEST", `invalid max-depth ${maxDepth}: expected an integer from 0 to 7`);
  }
  if (maxDepth > MAX_NAMESPACE_DEPTH) throw new CofferError("BAD_REQUEST", "depth must be smaller than 8");
  await assertNamespaceExists(store, anchor);
  const limit = Math.min(maxDepth, MAX_NAMESPACE_DEPTH - anchor.depth);
  const out: BackupNamespace[] = [];
  const walk = async (ns: BackupNamespace, depth: number): Promise<void> => {
    out.push(ns);
    if (depth >= limit) return;
    for (const child of await listChildNamespaces(store, ns)) await walk(child, depth + 1);
  };
  await walk(anchor, 0);
  return out;
}

/**
 * Creates `parent/name` (PBS create_namespace): the parent must exist; the name follows the API's
 * rules (SAFE_ID, 1-32 characters) and the depth and length limits. Refuses an existing one
 * unless `existOk` (moves create target namespaces "like mv").
 */
export async function createNamespace(
  store: Store,
  parent: BackupNamespace,
  name: string,
  options: { existOk?: boolean } = {},
): Promise<BackupNamespace> {
  if (name.length < 1 || name.length > MAX_NAMESPACE_COMPONENT_LENGTH) {
    throw new CofferError(
      "BAD_REQUEST",
      `invalid namespace name '${printable(name)}': use 1 to ${MAX_NAMESPACE_COMPONENT_LENGTH} characters of A-Z a-z 0-9 _ . -`,
    );
  }
  const ns = parent.push(name);
  if (!(await namespaceExists(store, parent))) {
    throw new CofferError("NOT_FOUND", `cannot create new namespace, parent ${parent} doesn't already exists`);
  }
  if (await namespaceExists(store, ns)) {
    if (options.existOk) return ns;
    throw new CofferError("CONFLICT", `namespace '${ns}' already exists`);
  }
  await store.backend.mkdir(ns.path(), { recursive: true });
  return ns;
}

export interface RemoveNamespaceResult {
  /** Everything requested was removed (false when groups or children kept the directory). */
  removedAll: boolean;
  stats: DeleteStats;
}

/**
 * Flat removal of one namespace (PBS remove_namespace): optionally destroys its groups, then
 * removes the empty type directories, the empty `ns` directory and the namespace directory.
 * A directory that is not empty stays; that is reported, not an error.
 */
export async function removeNamespace(
  store: Store,
  ns: BackupNamespace,
  deleteGroups: boolean,
  log: EngineLog = nullLog,
): Promise<RemoveNamespaceResult> {
  let stats = emptyDeleteStats();
  let removedAll = true;
  if (deleteGroups) {
    for (const g of await listGroups(store, ns)) {
      const s = await destroyGroup(store, ns, g);
      stats = addDeleteStats(stats, s);
      if (s["protected-snapshots"] > 0) removedAll = false;
    }
  }
  for (const type of BACKUP_TYPES) {
    try {
      await store.backend.rmdir(typeDirRel(ns, type));
    } catch (err) {
      if (!isErrno(err, "ENOENT") && !isErrno(err, "ENOTEMPTY")) {
        log.warn(`failed to remove empty backup type dir ${type} in ${ns} - ${errorMessage(err)}`);
      }
    }
  }
  await store.backend.rmdir(ns.isRoot ? "ns" : `${ns.path()}/ns`).catch(() => {});
  if (!ns.isRoot) {
    try {
      await store.backend.rmdir(ns.path());
    } catch (err) {
      if (isErrno(err, "ENOENT")) {
        // already gone
      } else if (isErrno(err, "ENOTEMPTY") && !deleteGroups) {
        removedAll = false;
      } else {
        log.warn(`failed to remove namespace ${ns} - ${errorMessage(err)}`);
        removedAll = false;
      }
    }
  }
  return { removedAll, stats };
}

/** Removes a namespace subtree deepest first (PBS remove_namespace_recursive). */
export async function removeNamespaceRecursive(
  store: Store,
  ns: BackupNamespace,
  deleteGroups: boolean,
  log: EngineLog = nullLog,
): Promise<RemoveNamespaceResult> {
  log.info(`${deleteGroups ? "removing whole" : "pruning empty"} namespace recursively below ${store.name}:/${ns}`);
  const subtree = await listNamespacesRecursive(store, ns);
  let stats = emptyDeleteStats();
  let removedAll = true;
  for (const child of [...subtree].sort((a, b) => b.depth - a.depth)) {
    const r = await removeNamespace(store, child, deleteGroups, log);
    stats = addDeleteStats(stats, r.stats);
    removedAll &&= r.removedAll;
  }
  return { removedAll, stats };
}

/**
 * The delete-namespace API: refuses the root, removes the namespace and its children; without
 * `deleteGroups`, namespaces that still hold groups stay (an error). Protected snapshots make a
 * delete with groups partial, an error unless `errorOnProtected` is false.
 */
export async function deleteNamespace(
  store: Store,
  ns: BackupNamespace,
  options: { deleteGroups?: boolean; errorOnProtected?: boolean; log?: EngineLog } = {},
): Promise<DeleteStats> {
  if (ns.isRoot) throw new CofferError("BAD_REQUEST", "Cannot create/delete root namespace!");
  await assertNamespaceExists(store, ns);
  const deleteGroups = options.deleteGroups ?? false;
  const { removedAll, stats } = await removeNamespaceRecursive(store, ns, deleteGroups, options.log);
  if (!removedAll) {
    if (deleteGroups && stats["protected-snapshots"] > 0) {
      if (options.errorOnProtected ?? true) {
        throw new CofferError("CONFLICT", "group only partially deleted due to protected snapshots");
      }
      options.log?.warn("group only partially deleted due to protected snapshots");
    } else if (!deleteGroups) {
      throw new CofferError("CONFLICT", "only partially deleted due to existing groups but `delete-groups` not true");
    }
  }
  return stats;
}

/** Reads `a/b` as a namespace, with the engine's error texts. */
export function parseNamespace(s: string): BackupNamespace {
  return BackupNamespace.parse(s);
}
