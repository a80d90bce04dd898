/**
 * Moving one group (reference 4.3-4.6). Locks are taken source group first, with every snapshot
 * of it in the same exclusive lock (locks.ts `lockGroupWithSnapshots`), then the target group,
 * so two mirror moves fail fast instead of deadlocking and a busy snapshot fails the move before
 * the target group is made. Snapshots move oldest first in journal batches of up to 512; every
 * failure is classified Soft (a lock conflict: the group can be retried later) or Hard
 * (anything else), as types, so that the namespace move can defer Soft failures and give up on
 * Hard ones.
 */
import { checkMoveGroupIn } from "./move-checks";
import { storeOf, type WriteHandle } from "../open";
import { MoveJournalWriter, snapshotDirEntry } from "./move-journal";
import { CofferError, errorMessage, findCause, LockConflictError } from "../model/errors";
import { createLockedGroup, isRemovalLeftover, readGroupNotes, readOwner, readOwnerIfPresent, removeGroupDir } from "../content/group";
import { groupRel, NOTES_FILE } from "../storage/layout";
import { type LockGuard } from "../../platform/file-lock";
import { lockGroupWithSnapshots } from "../locking/locks";
import type { EngineLog } from "../model/log";
import { type BackupNamespace, formatBackupTime, type GroupRef, groupPath, type SnapshotRef } from "../model/names";
import { listGroupDir, listSnapshotTimes, type SnapshotDir } from "../content/snapshot";
import type { Store } from "../storage/store";

/** Snapshots per journal write (one write per group for most groups; fewer ghost entries on a failure). */
export const JOURNAL_BATCH = 512;

/** A lock conflict: nothing is broken, the group can be moved later (PBS BackupGroupOpError::Soft). */
export class SoftMoveError extends CofferError {
  constructor(cause: unknown) {
    super("CONFLICT", errorMessage(cause), { cause });
    this.name = "SoftMoveError";
  }
}

/** Anything else (PBS BackupGroupOpError::Hard): investigate before retrying. */
export class HardMoveError extends CofferError {
  constructor(cause: unknown) {
    super(cause instanceof CofferError ? cause.code : "INTERNAL", errorMessage(cause), { cause });
    this.name = "HardMoveError";
  }
}

/** A group inside a namespace, as a move sees it. */
export interface NsGroup extends GroupRef {
  ns: BackupNamespace;
}

/**
 * Seams for the reliability tests, never set in production. They exist so a test can stop a
 * move at the one moment that matters and show what the journal ordering protects.
 */
export interface MoveTestOptions {
  /**
   * "before-rename" (the default and the only safe order), "after-rename" or "off": the other
   * two exist only to show GC losing chunks when the journal is written late or not at all.
   */
  journal?: "before-rename" | "after-rename" | "off";
  /**
   * Runs once per batch between its journal write and its renames (in either order). Gets the
   * batch's lock-loss signal, so a test can take a lock away and wait for the move to notice.
   */
  midBatch?: (info: { snapshots: number; lockSignal: AbortSignal }) => Promise<void>;
  /** move-namespace: runs before the deferred groups are retried. */
  beforeRetry?: () => Promise<void>;
  /** How long the move keeps the journal before letting waiters in (move-journal.ts). */
  journalHoldMs?: number;
}

/** What every group move of one operation shares. */
export interface MoveContext {
  store: Store;
  /** Kept across the operation's groups; its owner closes it. */
  journal: MoveJournalWriter;
  mergeGroups: boolean;
  log: EngineLog;
  /** The task's stop signal; an abort passes through as it is. */
  signal?: AbortSignal;
  test?: MoveTestOptions;
}

async function soft<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (findCause(err, LockConflictError)) throw new SoftMoveError(err);
    throw new HardMoveError(err);
  }
}

async function hard<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof SoftMoveError || err instanceof HardMoveError) throw err;
    throw new HardMoveError(err);
  }
}

/**
 * Moves `group` (which lives in `group.ns`, inside the subtree rooted at `sourceRoot`) to the
 * same place below `targetRoot`. For move-group, sourceRoot is the group's own namespace.
 * Throws SoftMoveError or HardMoveError; an abort (signal) passes through as it is. Losing a
 * group or snapshot lock midway is Hard: another process may own the group now, so the move
 * stops before its next rename and leaves the rest where it is.
 */
export async function lockAndMoveGroup(
  ctx: MoveContext,
  sourceRoot: BackupNamespace,
  group: NsGroup,
  targetRoot: BackupNamespace,
): Promise<void> {
  const { store, log } = ctx;
  const ref: GroupRef = { type: group.type, id: group.id };
  const targetNs = await hard(Promise.resolve().then(() => group.ns.mapPrefix(sourceRoot, targetRoot)));
  // Every snapshot exclusively, across all the renames, in the source group's own lock: a
  // verify, reader or destroy of one of them holds its intention there, so this fails (Soft)
  // while any snapshot is in use, before the target group is made.
  const sourceGuard = await soft(lockGroupWithSnapshots(store.name, group.ns, ref));
  let targetGuard: LockGuard | undefined;
  try {
    // The owner first: a group with an owner file exists, so the re-check under the lock need
    // not look for the group directory again (one call per group; same checks, same errors).
    let sourceOwner = await hard(readOwnerIfPresent(store, group.ns, ref));
    await hard(checkMoveGroupIn(store, group.ns, targetNs, ref, ctx.mergeGroups, { sourceExists: sourceOwner !== undefined }));
    if (sourceOwner === undefined) {
      if (await hard(isRemovalLeftover(store, group.ns, ref))) {
        // An earlier move was killed while removing this emptied source group: finish that.
        log.info(`removing leftover of an interrupted move: group '${groupPath(ref)}' in '${group.ns}' has no owner and no snapshots`);
        await hard(removeGroupDir(store, group.ns, ref, sourceGuard));
        return;
      }
      // Snapshots but no owner: readOwner's error says what is wrong.
      sourceOwner = await hard(readOwner(store, group.ns, ref));
    }
    // createLockedGroup removes a directory it just made when the target lock fails.
    const target = await soft(createLockedGroup(store, targetNs, ref, sourceOwner));
    targetGuard = target.guard;
    const merge = !target.created;
    if (merge && !ctx.mergeGroups) {
      throw new HardMoveError(
        new CofferError(
          "CONFLICT",
          `group '${groupPath(ref)}' already exists in target namespace '${targetNs}' and merging is disabled`,
        ),
      );
    }
    log.info(`${merge ? "merging" : "moving"} group '${groupPath(ref)}' from '${group.ns}' to '${targetNs}'`);
    if (merge) await hard(checkMergeInvariants(store, group.ns, targetNs, ref, sourceOwner, target.owner, log));

    const locks = [sourceGuard, targetGuard];
    const { snapshots, hasNotes } = await hard(listGroupDir(store, group.ns, ref));
    for (let i = 0; i < snapshots.length; i += JOURNAL_BATCH) {
      ctx.signal?.throwIfAborted();
      await moveBatch(ctx, group.ns, targetNs, ref, snapshots.slice(i, i + JOURNAL_BATCH), locks);
    }
    throwIfLockLost(locks);
    const notesLeft = hasNotes && (await hard(moveNotes(store, group.ns, targetNs, ref, log)));
    // The source is empty now: remove it with the lock we hold (PBS destroy consumes the guard).
    await hard(removeGroupDir(store, group.ns, ref, sourceGuard, { notes: notesLeft }));
  } finally {
    await sourceGuard.release();
    await targetGuard?.release();
  }
}

/** A lost lock means someone else may be changing the group: stop before the next change. */
function throwIfLockLost(guards: LockGuard[]): void {
  for (const g of guards) if (g.lost) throw new HardMoveError(g.lost);
}

/**
 * Journals a batch, then renames it (Hard), under `locks` (both group locks and the group's
 * snapshots lock). Journal first: if the new path exists, its journal entry exists (GC safety).
 */
async function moveBatch(
  ctx: MoveContext,
  sourceNs: BackupNamespace,
  targetNs: BackupNamespace,
  g: GroupRef,
  snapshots: SnapshotDir[],
  locks: LockGuard[],
): Promise<void> {
  const { store } = ctx;
  const from = groupRel(sourceNs, g);
  const to = groupRel(targetNs, g);
  // Each snapshot's directory at its new place (move-journal.ts says why not its index files).
  const targetDir = store.backend.absolute(to);
  const journal = snapshots.map((s) => snapshotDirEntry(`${targetDir}/${s.name}`));
  const order = ctx.test?.journal ?? "before-rename";
  const writeJournal = () => (order === "off" ? Promise.resolve() : hard(ctx.journal.append(journal)));
  const renameAll = async () => {
    for (const s of snapshots) {
      ctx.signal?.throwIfAborted();
      throwIfLockLost(locks);
      if (ctx.journal.lost) throw new HardMoveError(ctx.journal.lost);
      await moveSnapshot(store, `${from}/${s.name}`, `${to}/${s.name}`);
    }
  };
  const midBatch = async () => {
    if (!ctx.test?.midBatch) return;
    await ctx.test.midBatch({ snapshots: snapshots.length, lockSignal: AbortSignal.any(locks.map((l) => l.signal)) });
  };
  if (order === "after-rename") {
    await renameAll();
    await midBatch();
    await writeJournal();
  } else {
    await writeJournal();
    await midBatch();
    await renameAll();
  }
}

/** Renames one snapshot directory (paths relative to the datastore); any failure is Hard. */
async function moveSnapshot(store: Store, src: string, dst: string) {
  try {
    await store.backend.rename(src, dst);
  } catch (err) {
    throw new HardMoveError(
      new CofferError(
        "INTERNAL",
        `failed to move snapshot ${JSON.stringify(store.backend.absolute(src))} to ${JSON.stringify(store.backend.absolute(dst))}: ${errorMessage(err)}`,
        { cause: err },
      ),
    );
  }
}

/** Owners exactly equal; every source snapshot strictly newer than the target's newest (4.4). */
export async function checkMergeInvariants(
  store: Store,
  sourceNs: BackupNamespace,
  targetNs: BackupNamespace,
  g: GroupRef,
  sourceOwner: string,
  targetOwner: string,
  log?: EngineLog,
): Promise<void> {
  const what = `cannot merge group '${groupPath(g)}' from '${sourceNs}' into '${targetNs}'`;
  if (sourceOwner !== targetOwner) {
    throw new CofferError("CONFLICT", `${what}: owner mismatch (source: ${sourceOwner}, target: ${targetOwner})`);
  }
  const conflict = await findTimeConflict(store, sourceNs, targetNs, g);
  if (conflict) {
    log?.info(`oldest source snapshot: ${formatBackupTime(conflict.sourceOldest)}`);
    log?.info(`conflicting target snapshot: ${formatBackupTime(conflict.target)}`);
    throw new CofferError("CONFLICT", `${what}: snapshot time mismatch`);
  }
}

/** The first target snapshot not older than the oldest source snapshot, if any. */
export async function findTimeConflict(
  store: Store,
  sourceNs: BackupNamespace,
  targetNs: BackupNamespace,
  g: GroupRef,
): Promise<{ sourceOldest: number; target: number } | undefined> {
  const source = await listSnapshotTimes(store, sourceNs, g);
  if (source.length === 0) return undefined;
  const sourceOldest = source[0]!;
  const target = (await listSnapshotTimes(store, targetNs, g)).find((t) => t >= sourceOldest);
  return target === undefined ? undefined : { sourceOldest, target };
}

/**
 * Group notes (4.5), for a source group whose listing showed a notes file: moved when only the
 * source has them; the target's win otherwise. Returns whether the source still has a notes
 * file (for removeGroupDir). Nobody can add or remove notes meanwhile: that takes the group
 * lock, which the move holds.
 */
async function moveNotes(store: Store, sourceNs: BackupNamespace, targetNs: BackupNamespace, g: GroupRef, log: EngineLog): Promise<boolean> {
  const src = `${groupRel(sourceNs, g)}/${NOTES_FILE}`;
  const dst = `${groupRel(targetNs, g)}/${NOTES_FILE}`;
  let sourceNotes: string | undefined;
  try {
    sourceNotes = await readGroupNotes(store, sourceNs, g);
  } catch (err) {
    throw new CofferError("INTERNAL", `reading source group notes ${JSON.stringify(store.backend.absolute(src))} failed: ${errorMessage(err)}`);
  }
  if (sourceNotes === undefined) return false;
  let targetNotes: string | undefined;
  try {
    targetNotes = await readGroupNotes(store, targetNs, g);
  } catch (err) {
    throw new CofferError("INTERNAL", `reading target group notes ${JSON.stringify(store.backend.absolute(dst))} failed: ${errorMessage(err)}`);
  }
  if (targetNotes === undefined) {
    try {
      await store.backend.rename(src, dst);
    } catch (err) {
      throw new CofferError(
        "INTERNAL",
        `failed to move group notes ${JSON.stringify(store.backend.absolute(src))} -> ${JSON.stringify(store.backend.absolute(dst))}: ${errorMessage(err)}`,
      );
    }
    return false;
  }
  if (targetNotes !== sourceNotes) {
    log.warn(
      `group notes differ during merge of '${groupPath(g)}' from '${sourceNs}' into '${targetNs}' - keeping target's notes`,
    );
  }
  return true;
}

/**
 * move-group (the API and CLI operation): one group into another namespace, all or a Soft
 * failure that can be retried. The worker re-runs the pre-flight check under the group lock.
 */
export async function moveGroup(
  ds: WriteHandle,
  ns: BackupNamespace,
  group: GroupRef,
  targetNs: BackupNamespace,
  mergeGroup: boolean,
  log: EngineLog,
  signal?: AbortSignal,
  test?: MoveTestOptions,
): Promise<void> {
  const store = storeOf(ds);
  await checkMoveGroupIn(store, ns, targetNs, group, mergeGroup);
  const journal = new MoveJournalWriter(store.name, test?.journalHoldMs);
  try {
    await lockAndMoveGroup({ store, journal, mergeGroups: mergeGroup, log, signal, test }, ns, { ...group, ns }, targetNs);
  } catch (err) {
    if (err instanceof SoftMoveError || err instanceof HardMoveError) {
      // The public wrapper flattens both to a plain error, keeping the code for the API.
      throw new CofferError(err.code, err.message, { cause: err.cause });
    }
    throw err;
  } finally {
    await journal.close();
  }
}
