/**
 * Destroying snapshots and groups, with PBS's lock order and protection rules (reference 3.3).
 */
import { CofferError, findCause, LockConflictError, withContext } from "../model/errors";
import { listSnapshotTimes, isProtected } from "./snapshot";
import { removeGroupDir } from "./group";
import { snapshotRel } from "../storage/layout";
import { type LockGuard } from "../../platform/file-lock";
import { lockGroup, lockManifest, lockSnapshot } from "../locking/locks";
import { nullLog, type EngineLog } from "../model/log";
import { type BackupNamespace, type GroupRef, groupPath, type SnapshotRef } from "../model/names";
import type { Store } from "../storage/store";

export interface DeleteStats {
  "removed-groups": number;
  "removed-snapshots": number;
  "protected-snapshots": number;
}

export const emptyDeleteStats = (): DeleteStats => ({
  "removed-groups": 0,
  "removed-snapshots": 0,
  "protected-snapshots": 0,
});

export function addDeleteStats(a: DeleteStats, b: DeleteStats): DeleteStats {
  return {
    "removed-groups": a["removed-groups"] + b["removed-groups"],
    "removed-snapshots": a["removed-snapshots"] + b["removed-snapshots"],
    "protected-snapshots": a["protected-snapshots"] + b["protected-snapshots"],
  };
}

/**
 * Removes one snapshot (PBS BackupDir::destroy, force=false): exclusive snapshot lock, then the
 * manifest lock; refuses protected snapshots; removes the directory and its lock files. Then,
 * if the group lock is free and no snapshot is left, removes the group too (PBS 4.2, #3336);
 * if the group is locked (a backup is running) the group simply stays.
 */
export async function destroySnapshot(store: Store, ns: BackupNamespace, snap: SnapshotRef, log: EngineLog = nullLog) {
  await removeSnapshotDir(store, ns, snap);
  await removeGroupIfEmpty(store, ns, snap, log);
}

/** Snapshot lock, manifest lock, protection check, `rm -rf`, lock files removed. */
async function removeSnapshotDir(store: Store, ns: BackupNamespace, snap: SnapshotRef): Promise<void> {
  const rel = snapshotRel(ns, snap);
  const abs = store.backend.absolute(rel);
  let snapGuard: LockGuard;
  try {
    snapGuard = await lockSnapshot(store.name, ns, snap, "exclusive");
  } catch (err) {
    throw withContext(`while destroying snapshot ${JSON.stringify(abs)}`, err);
  }
  try {
    const manifestGuard = await lockManifest(store.name, ns, snap);
    try {
      if (!(await store.backend.exists(rel))) {
        throw new CofferError("NOT_FOUND", `snapshot ${JSON.stringify(abs)} does not exist`);
      }
      if (await isProtected(store, ns, snap)) {
        throw new CofferError("CONFLICT", "cannot remove protected snapshot");
      }
      try {
        await store.backend.removeTree(rel);
      } catch (err) {
        throw new CofferError("INTERNAL", `removing backup snapshot ${JSON.stringify(abs)} failed - ${String(err)}`);
      }
    } finally {
      await manifestGuard.releaseAndRemove();
    }
  } finally {
    await snapGuard.releaseAndRemove();
  }
}

async function removeGroupIfEmpty(store: Store, ns: BackupNamespace, g: GroupRef, log: EngineLog): Promise<void> {
  let guard: LockGuard;
  try {
    guard = await lockGroup(store.name, ns, g);
  } catch (err) {
    if (findCause(err, LockConflictError)) {
      log.debug(`not removing group ${groupPath(g)}: it is locked (${(err as Error).message})`);
      return;
    }
    throw err;
  }
  try {
    const left = await listSnapshotTimes(store, ns, g).catch(() => [1]);
    if (left.length > 0) {
      await guard.release();
      return;
    }
  } catch (err) {
    await guard.release();
    throw err;
  }
  await removeGroupDir(store, ns, g, guard);
}

/**
 * Destroys a group under its exclusive lock (PBS remove_backup_group): every snapshot that is not
 * protected; protected ones are counted and keep the group (and its owner and notes) alive.
 */
export async function destroyGroup(store: Store, ns: BackupNamespace, g: GroupRef): Promise<DeleteStats> {
  let guard: LockGuard;
  try {
    guard = await lockGroup(store.name, ns, g);
  } catch (err) {
    throw withContext(`while destroying group '${groupPath(g)}'`, err);
  }
  return destroyLockedGroup(store, ns, g, guard);
}

/** As destroyGroup, for a caller that already holds the group lock; the guard is consumed. */
export async function destroyLockedGroup(
  store: Store,
  ns: BackupNamespace,
  g: GroupRef,
  guard: LockGuard,
): Promise<DeleteStats> {
  const stats = emptyDeleteStats();
  try {
    for (const time of await listSnapshotTimes(store, ns, g)) {
      const snap = { ...g, time };
      if (await isProtected(store, ns, snap)) {
        stats["protected-snapshots"]++;
        continue;
      }
      await removeSnapshotDir(store, ns, snap);
      stats["removed-snapshots"]++;
    }
  } catch (err) {
    await guard.release();
    throw withContext(`while destroying group '${groupPath(g)}'`, err);
  }
  if (stats["protected-snapshots"] > 0) {
    await guard.release();
    return stats;
  }
  await removeGroupDir(store, ns, g, guard);
  stats["removed-groups"] = 1;
  return stats;
}
