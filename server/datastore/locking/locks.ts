/**
 * The datastore's locks (reference pbs-engine.md 3.1, 3.5): group, snapshot, manifest and GC,
 * under `COFFER_HOME/run/locks/<store>` with PBS's names (lock-names.ts) and PBS's context
 * texts, on the cross-process lock primitive of server/platform/file-lock.ts.
 */
import path from "node:path";
import { paths } from "../../config/paths";
import { acquireLock, type LockGuard, type LockMode } from "../../platform/file-lock";
import { LockConflictError, withContext } from "../model/errors";
import type { BackupNamespace, GroupRef, SnapshotRef } from "../model/names";
import { groupLockPath, manifestLockPath, snapshotLockPath } from "./lock-names";

export type { LockGuard, LockMode } from "../../platform/file-lock";

/** Exclusive group lock, no waiting (PBS BackupGroup::lock). */
export function lockGroup(store: string, ns: BackupNamespace, group: GroupRef): Promise<LockGuard> {
  const p = groupLockPath(store, ns, group);
  return withLockContext(`unable to acquire backup group lock ${JSON.stringify(p)}`, acquireLock(p, { mode: "exclusive" }), "backup group");
}

/** Snapshot lock, exclusive (destroy, move, protection) or shared (read, verify); no waiting. */
export function lockSnapshot(store: string, ns: BackupNamespace, snap: SnapshotRef, mode: LockMode): Promise<LockGuard> {
  const p = snapshotLockPath(store, ns, snap);
  const what = mode === "shared" ? "shared snapshot lock" : "snapshot lock";
  return withLockContext(`unable to acquire ${what} ${JSON.stringify(p)}`, acquireLock(p, { mode }), "snapshot");
}

/** Exclusive manifest lock; waits up to 5 s, as manifest updates are short (PBS lock_manifest). */
export function lockManifest(store: string, ns: BackupNamespace, snap: SnapshotRef): Promise<LockGuard> {
  const p = manifestLockPath(store, ns, snap);
  return withLockContext(`unable to acquire manifest lock ${JSON.stringify(p)}`, acquireLock(p, { mode: "exclusive", timeoutMs: 5_000 }), "manifest");
}

/** One garbage collection per datastore; no waiting. */
export function lockGc(store: string): Promise<LockGuard> {
  const p = path.join(paths.locks(store), ".gc");
  return withLockContext("Start GC failed - (already running/locked)", acquireLock(p, { mode: "exclusive" }), "garbage collection");
}

async function withLockContext(context: string, pending: Promise<LockGuard>, lockKind?: string): Promise<LockGuard> {
  try {
    return await pending;
  } catch (err) {
    if (err instanceof LockConflictError && lockKind) {
      throw new LockConflictError(`${context}: ${err.message}`, err.lockPath, err.holders, { cause: err, lockKind });
    }
    throw withContext(context, err);
  }
}

