/**
 * The datastore's locks (reference pbs-engine.md 3.1, 3.5): group, snapshot, manifest and GC,
 * under `COFFER_HOME/run/locks/<store>` with PBS's names (lock-names.ts) and PBS's context
 * texts, on the cross-process lock primitive of server/platform/file-lock.ts.
 */
import path from "node:path";
import { paths } from "../../config/paths";
import { acquireLock, type LockGuard, type LockMode } from "../../platform/file-lock";
import { LockConflictError, withContext } from "../model/errors";
import { type BackupNamespace, type GroupRef, groupPath, type SnapshotRef } from "../model/names";
import { groupLockPath, manifestLockPath, snapshotLockPath } from "./lock-names";

export type { LockGuard, LockMode } from "../../platform/file-lock";

/** Exclusive group lock, no waiting (PBS BackupGroup::lock). */
export function lockGroup(store: string, ns: BackupNamespace, group: GroupRef): Promise<LockGuard> {
  const p = groupLockPath(store, ns, group);
  return withLockContext(`unable to acquire backup group lock ${JSON.stringify(p)}`, acquireLock(p, { mode: "exclusive" }), "backup group");
}

/**
 * Snapshot lock, exclusive (destroy, protection, a new snapshot) or shared (read, verify); no
 * waiting. It first takes an intention on its group's lock (many snapshots of a group can be
 * locked at once, each in its own mode, and the group lock's plain exclusive holders, a backup
 * or a prune, do not mind), so it fails while a move holds the group with all its snapshots
 * through `lockGroupWithSnapshots`. The guard releases both.
 */
export async function lockSnapshot(store: string, ns: BackupNamespace, snap: SnapshotRef, mode: LockMode): Promise<LockGuard> {
  const p = snapshotLockPath(store, ns, snap);
  const what = mode === "shared" ? "shared snapshot lock" : "snapshot lock";
  const context = `unable to acquire ${what} ${JSON.stringify(p)}`;
  const intent = await withLockContext(context, acquireLock(groupLockPath(store, ns, snap), { mode: "intent" }), "snapshot");
  try {
    return nestedGuard(intent, await withLockContext(context, acquireLock(p, { mode }), "snapshot"));
  } catch (err) {
    await intent.releaseAndRemove();
    throw err;
  }
}

/**
 * The group lock and every snapshot of the group, exclusively, in one lock (a move holds it
 * across its renames); no waiting. Conflicts with the group lock's holders (PBS's texts) and
 * with any snapshot lock of the group that is held (through its intention), and every snapshot
 * lock taken while it is held fails. docs/locking.md says why.
 */
export async function lockGroupWithSnapshots(store: string, ns: BackupNamespace, group: GroupRef): Promise<LockGuard> {
  const p = groupLockPath(store, ns, group);
  try {
    return await acquireLock(p, { mode: "total" });
  } catch (err) {
    // Group locks are only ever exclusive; shared holders are snapshot locks' intentions.
    if (err instanceof LockConflictError && err.holders.length > 0 && err.holders.every((h) => h.mode === "shared")) {
      const where = ns.isRoot ? "" : ` in namespace '${ns}'`;
      throw inLockContext(`unable to acquire snapshot lock for every snapshot of group '${groupPath(group)}'${where}`, err, "snapshot");
    }
    throw inLockContext(`unable to acquire backup group lock ${JSON.stringify(p)}`, err, "backup group");
  }
}

/**
 * The guard of a lock taken under an intention lock: it is lost when either is, and releasing
 * it releases the inner lock, then the intention (removing the intention's directory when no
 * other snapshot of the group is locked, so idle groups leave nothing behind).
 */
function nestedGuard(intent: LockGuard, inner: LockGuard): LockGuard {
  let signal: AbortSignal | undefined;
  const release = async () => {
    try {
      await inner.release();
    } finally {
      await intent.releaseAndRemove();
    }
  };
  return {
    path: inner.path,
    mode: inner.mode,
    get signal() {
      signal ??= AbortSignal.any([inner.signal, intent.signal]);
      return signal;
    },
    get lost() {
      return inner.lost ?? intent.lost;
    },
    release,
    releaseAndRemove: async () => {
      try {
        await inner.releaseAndRemove();
      } finally {
        await intent.releaseAndRemove();
      }
    },
    [Symbol.asyncDispose]: release,
  };
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
    throw inLockContext(context, err, lockKind);
  }
}

/** A failure to lock, with PBS's context text; a conflict stays a LockConflictError. */
function inLockContext(context: string, err: unknown, lockKind?: string): Error {
  if (err instanceof LockConflictError && lockKind) {
    return new LockConflictError(`${context}: ${err.message}`, err.lockPath, err.holders, { cause: err, lockKind });
  }
  return withContext(context, err);
}

