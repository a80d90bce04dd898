/**
 * Shared and exclusive locks across processes, with PBS's lock semantics (reference
 * pbs-engine.md 3). The primitive under every lock Coffer takes: the datastore's
 * (server/datastore/locking/locks.ts), config files, task lists. Why this protocol and not
 * flock(2) or proper-lockfile: docs/locking.md.
 *
 * Layout: a lock at path P is a DIRECTORY P with one entry per holder, a symbolic link. Its name
 * says who holds it, so a readdir alone answers "who?": `<x|s|i|t>~<pid>~<pstart>~<sinceMs>~<seq>`;
 * it points at the task UPID if a task holds it, else at "-" (one symlink(2) where a file took
 * open, write and close). A free lock is taken by renaming a prepared directory onto P
 * (tryFastPath); otherwise `P/.guard` (a directory as mutex) is held for microseconds while the
 * holder set changes.
 *
 * A holder is gone when its process is (pid + start time, checked at once) or when its file
 * was not refreshed for HOLDER_STALE_MS: a process-wide heartbeat refreshes every holder file
 * this process owns. A holder that finds its file removed (someone judged it stale) learns so
 * through its guard's AbortSignal, never by a crash and never by carrying on silently.
 */
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmdirSync, statSync, symlinkSync, unlinkSync } from "node:fs";
import { lutimes } from "node:fs/promises";
import path from "node:path";

import {
  CofferError,
  LockConflictError,
  describeHolders,
  isErrno,
  withContext,
  type LockHolder,
} from "../datastore/model/errors";
import { announce, withdraw } from "./lock-waiters";
import { isQueued, type QueueTurn, waitTurn } from "./local-queue";
import { processGlobal } from "./process-global";
import { isProcessAlive, selfStartTime } from "./process";

export type LockMode = "shared" | "exclusive";

/**
 * Modes for a lock that also stands for a set of finer locks (multi-granularity locking; a
 * group's lock and its snapshots, docs/locking.md): `intent` says "I hold one of the finer
 * locks" and conflicts only with `total`; `total` is exclusive over the lock and everything it
 * stands for, and conflicts with every holder. `exclusive` and `shared` ignore intents.
 */
export type AcquireMode = LockMode | "intent" | "total";

/** The first letter of a holder's name (HOLDER_RE). */
const MODE_LETTER: Record<AcquireMode, string> = { exclusive: "x", shared: "s", intent: "i", total: "t" };
const LETTER_MODE = new Map(Object.entries(MODE_LETTER).map(([mode, letter]) => [letter, mode as AcquireMode]));

/** Which holders block a taker in each mode. */
const CONFLICTS: Record<AcquireMode, ReadonlySet<AcquireMode>> = {
  shared: new Set<AcquireMode>(["exclusive", "total"]),
  exclusive: new Set<AcquireMode>(["shared", "exclusive", "total"]),
  intent: new Set<AcquireMode>(["total"]),
  total: new Set<AcquireMode>(["shared", "exclusive", "intent", "total"]),
};

/** A holder file not refreshed for this long is dropped (DESIGN 5: free within at most 10 s). */
export const HOLDER_STALE_MS = 10_000;
/** Heartbeat period: four refreshes per stale period, so one late tick does no harm. */
export const HEARTBEAT_MS = 2_500;
/** Stale time of the short guard mutex (a holder that died inside it). */
const GUARD_STALE_MS = 4_000;
/** How long to wait for the guard: long enough to outlive a dead guard holder. */
const GUARD_WAIT_MS = GUARD_STALE_MS + 2_000;
const GUARD_NAME = ".guard";

export interface LockGuard {
  /** The lock directory. */
  readonly path: string;
  readonly mode: AcquireMode;
  /** Aborted (reason: a CofferError) when the lock was lost; long operations check it. */
  readonly signal: AbortSignal;
  /** The signal's reason, without making a signal: for checks in hot loops. */
  readonly lost: CofferError | undefined;
  /** Gives the lock up. Idempotent. */
  release(): Promise<void>;
  /**
   * Releases, then removes the lock directory if nobody else holds it (PBS deletes snapshot and
   * group lock files after a destroy or a move). Best effort: a remaining holder keeps it.
   */
  releaseAndRemove(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface AcquireOptions {
  mode: AcquireMode;
  /** 0 (default): fail at once on a conflict; otherwise retry until this many ms have passed. */
  timeoutMs?: number;
}

/** What this process holds and how it names holders: one per process (process-global.ts). */
interface LockState {
  /** The task UPID every holder link of this process points at. */
  ownerTask: string | undefined;
  /** Numbers holder names and fast-path directories: no entropy needed. */
  sequence: number;
  held: Map<string, HeldLock>;
  heartbeat: NodeJS.Timeout | undefined;
  beating: boolean;
}

const state = processGlobal(
  "file-lock",
  (): LockState => ({ ownerTask: undefined, sequence: 0, held: new Map(), heartbeat: undefined, beating: false }),
);
const held = state.held;

/** Records the task UPID of this process in every lock it takes from now on (PBS shows it). */
export function setLockOwnerTask(upid: string | undefined): void {
  state.ownerTask = upid;
}

/**
 * Takes a lock. Throws LockConflictError `Unable to acquire lock "<P>" - held by ...` when
 * someone else holds it in an incompatible mode (after `timeoutMs`, for a waiting lock).
 */
export async function acquireLock(lockPath: string, opts: AcquireOptions): Promise<LockGuard> {
  const dir = path.resolve(lockPath);
  const deadline = Date.now() + (opts.timeoutMs ?? 0);
  // A busy guard is waited out even by a no-wait lock: it is held for microseconds, and one
  // left behind by a process that died inside it goes stale after GUARD_STALE_MS.
  const guardDeadline = Date.now() + GUARD_WAIT_MS;
  for (let attempt = 0; ; attempt++) {
    const outcome = tryAcquire(dir, opts.mode);
    if ("guard" in outcome) return outcome.guard;
    if ("busy" in outcome) {
      if (Date.now() > Math.max(deadline, guardDeadline)) {
        // Contention, not a fault: the caller may try again (TOO_MANY_REQUESTS, never a 500).
        throw new CofferError("TOO_MANY_REQUESTS", `unable to lock ${JSON.stringify(dir)}: its guard stayed busy for ${GUARD_WAIT_MS} ms, try again`, {
          cause: outcome.busy,
        });
      }
      await sleep(backoff(attempt, 2, 50));
      continue;
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new LockConflictError(`Unable to acquire lock ${JSON.stringify(dir)} - ${describeHolders(outcome.blocking)}`, dir, outcome.blocking);
    }
    await sleep(Math.min(left, backoff(attempt, 20, 250)));
  }
}

/**
 * The live holders of a lock (none when it does not exist). Reads only; changes nothing.
 * `seen`: the caller has just found the lock's directory (in a listing of its parent), so it is
 * read without looking for it first.
 */
export async function readLockHolders(lockPath: string, opts: { seen?: boolean } = {}): Promise<LockHolder[]> {
  const dir = path.resolve(lockPath);
  return scanHolders(dir, false, opts.seen).map((e) => withUpid(dir, e));
}

/**
 * Exclusive waiting lock for a config file, the move journal, an active-operations file or a
 * task list. `absPath` names the lock itself (a directory is made there), so pass
 * `<file>.lock`, never the file being protected.
 */
export async function lockNamed(absPath: string, timeoutMs = 10_000): Promise<LockGuard> {
  const dir = path.resolve(absPath);
  const started = Date.now();
  // A waiter says so (lock-waiters.ts), for holders that keep the lock across many steps; an
  // uncontended lock costs nothing more.
  let announcement = isQueued(dir) ? announce(dir) : undefined;
  try {
    // In this process, waiters line up (local-queue.ts); only the head contends across processes.
    const turn = await waitTurn(dir, timeoutMs, () => {
      const holders = scanHolders(dir, false).map((e) => withUpid(dir, e));
      return new LockConflictError(`Unable to acquire lock ${JSON.stringify(dir)} - ${describeHolders(holders)}`, dir, holders);
    });
    let guard: LockGuard;
    try {
      guard = await acquireLock(dir, { mode: "exclusive" }).catch(async (err: unknown) => {
        if (!(err instanceof LockConflictError) || timeoutMs === 0) throw err;
        announcement ??= announce(dir);
        return acquireLock(dir, { mode: "exclusive", timeoutMs: Math.max(0, timeoutMs - (Date.now() - started)) });
      });
    } catch (err) {
      turn.done();
      throw err;
    }
    return queuedGuard(guard, turn);
  } finally {
    if (announcement !== undefined) withdraw(announcement);
  }
}

/** A guard that also lets the next waiter of this process go when it is released. */
function queuedGuard(guard: LockGuard, turn: QueueTurn): LockGuard {
  const release = guard.release.bind(guard);
  const releaseAndRemove = guard.releaseAndRemove.bind(guard);
  return Object.assign(guard, {
    release: async () => {
      try {
        await release();
      } finally {
        turn.done();
      }
    },
    releaseAndRemove: async () => {
      try {
        await releaseAndRemove();
      } finally {
        turn.done();
      }
    },
    [Symbol.asyncDispose]: async () => {
      try {
        await release();
      } finally {
        turn.done();
      }
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Holder files.

interface HolderEntry extends Omit<LockHolder, "mode"> {
  file: string;
  mode: AcquireMode;
}

const HOLDER_RE = /^([xsit])~([0-9]+)~([0-9]+)~([0-9]+)~([0-9a-f]+)$/;

function holderFileName(mode: AcquireMode, since: number): string {
  return [MODE_LETTER[mode], process.pid, selfStartTime(), since, (++state.sequence).toString(16)].join("~");
}

function parseHolderName(file: string): HolderEntry | undefined {
  const m = HOLDER_RE.exec(file);
  if (!m) return undefined; // `.guard`, or a nested lock folder (a namespace named like a group lock)
  return { file, mode: LETTER_MODE.get(m[1]!)!, pid: Number(m[2]), pstart: Number(m[3]), since: Number(m[4]) };
}

/**
 * Whether a holder file still stands for a live holder. Our own process's files are judged
 * from the `held` map (no /proc read, no stat): a file of ours that is not in it is a leftover.
 * Anyone else's must belong to a running process (pid and start time) and have been refreshed
 * by its heartbeat within HOLDER_STALE_MS. Undefined when the file vanished meanwhile.
 */
function isLiveHolder(file: string, h: HolderEntry, now: number): boolean | undefined {
  if (h.pid === process.pid) return h.pstart === selfStartTime() && held.has(file);
  if (!isProcessAlive(h.pid, h.pstart)) return false;
  try {
    // lstat: the holder is the link itself (its target is only the UPID).
    return lstatSync(file).mtimeMs >= now - HOLDER_STALE_MS;
  } catch (err) {
    if (isErrno(err, "ENOENT")) return undefined; // released meanwhile
    throw err;
  }
}

/**
 * The live holders in `dir`. With `prune` (only under the guard), the files of dead or stale
 * holders are removed, which is what tells a stalled holder (through its heartbeat) that it
 * lost the lock.
 */
function scanHolders(dir: string, prune: boolean, seen = false): HolderEntry[] {
  // A lock nobody holds often has no directory, and listings ask about one per group: an lstat
  // says so without the cost of a failed readdir's exception (21 -> 10 us a call). Pruning runs
  // inside the lock's guard, where the directory exists, and a caller that has just seen it
  // skips the lstat too.
  if (!prune && !seen && !lstatSync(dir, { throwIfNoEntry: false })) return [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if (isErrno(err, "ENOENT") || isErrno(err, "ENOTDIR")) return [];
    throw err;
  }
  const now = Date.now();
  const live: HolderEntry[] = [];
  for (const name of names) {
    const h = parseHolderName(name);
    if (!h) continue;
    const file = path.join(dir, name);
    const alive = isLiveHolder(file, h, now);
    if (alive) live.push(h);
    else if (alive === false && prune) {
      try {
        unlinkSync(file);
      } catch (err) {
        ignoreErrno(err, "ENOENT");
      }
    }
  }
  return live;
}

/** A holder as errors and the API show it: an intent is a kind of shared hold, `total` exclusive. */
function withUpid(dir: string, h: HolderEntry): LockHolder {
  const mode = h.mode === "intent" ? "shared" : h.mode === "total" ? "exclusive" : h.mode;
  const holder: LockHolder = { pid: h.pid, pstart: h.pstart, since: h.since, mode };
  const upid = readHolderUpid(path.join(dir, h.file));
  if (upid) holder.upid = upid;
  return holder;
}

/** Marks a holder without a task: a symlink cannot point at the empty string. */
const NO_TASK = "-";

/** The UPID a holder names, if any. Regular holder files (Coffer before 2026-12) hold it as content. */
function readHolderUpid(file: string): string | undefined {
  let upid: string;
  try {
    upid = readlinkSync(file);
  } catch (err) {
    if (!isErrno(err, "EINVAL")) return undefined; // released meanwhile
    try {
      upid = readFileSync(file, "utf8");
    } catch {
      return undefined;
    }
  }
  upid = upid.trim();
  return upid && upid !== NO_TASK ? upid : undefined;
}

function blockers(holders: HolderEntry[], mode: AcquireMode): HolderEntry[] {
  const conflicts = CONFLICTS[mode];
  return holders.filter((h) => conflicts.has(h.mode));
}

/** Creates a holder: a symlink to the owner task's UPID, if any (fails with EEXIST like O_EXCL). */
function writeHolderFile(file: string): void {
  symlinkSync(state.ownerTask || NO_TASK, file);
}

type Outcome = { guard: LockGuard } | { blocking: LockHolder[] } | { busy: unknown };

/**
 * One attempt, synchronous on purpose: a handful of syscalls on a local (usually tmpfs)
 * directory take microseconds each, while the same calls through the async fs API cost a
 * thread-pool round trip each; moves take thousands of snapshot locks (see bench/move.ts and
 * docs/locking.md). A free lock is taken by the fast path; anything else (a holder, a busy
 * guard, leftovers to prune) by the guarded slow path.
 */
function tryAcquire(dir: string, mode: AcquireMode): Outcome {
  return tryFastPath(dir, mode) ?? tryGuarded(dir, mode);
}

/**
 * A free lock in three syscalls: build the lock directory with our holder in it under a
 * private name, then rename it onto the lock's path. rename(2) replaces a missing or EMPTY
 * directory atomically and refuses a non-empty one, and a lock directory is empty exactly when
 * nobody holds it and nobody is inside its guard (a guard is a directory inside it). So when
 * the rename succeeds, at that instant the lock is ours alone, and everyone after us sees our
 * holder file (or our guard-less directory with it); when it fails, the lock is held, guarded
 * or has leftovers, and the slow path decides. Undefined means "use the slow path".
 */
function tryFastPath(dir: string, mode: AcquireMode): Outcome | undefined {
  const since = Date.now();
  const holderName = holderFileName(mode, since);
  // `.new~...` can never be a lock name (escaped lock names never start with a dot) nor a
  // holder name, so nobody mistakes it for either.
  const staging = path.join(path.dirname(dir), `.new~${holderName}`);
  try {
    mkdirSync(staging);
  } catch (err) {
    if (!isErrno(err, "ENOENT")) throw err;
    mkdirSync(path.dirname(dir), { recursive: true });
    mkdirSync(staging);
  }
  const stagedFile = path.join(staging, holderName);
  try {
    writeHolderFile(stagedFile);
    renameSync(staging, dir);
  } catch (err) {
    // ENOTEMPTY/EEXIST: the lock directory has entries. Clean up and go the guarded way.
    try {
      unlinkSync(stagedFile);
    } catch {
      // not written
    }
    rmdirSync(staging);
    if (isErrno(err, "ENOTEMPTY") || isErrno(err, "EEXIST")) return undefined;
    throw err;
  }
  return { guard: new HeldLock(dir, mode, path.join(dir, holderName)) };
}

function tryGuarded(dir: string, mode: AcquireMode): Outcome {
  const entered = Date.now();
  const guard = takeGuardMutex(dir);
  if ("busy" in guard) return guard;
  try {
    const before = blockers(scanHolders(dir, true), mode);
    if (before.length > 0) return { blocking: before.map((h) => withUpid(dir, h)) };

    const since = Date.now();
    const file = path.join(dir, holderFileName(mode, since));
    writeHolderFile(file);
    // Under an intact guard nothing can have changed since the scan. The guard can only have
    // been broken if someone judged it stale, that is, found its mtime (set when we entered)
    // older than GUARD_STALE_MS by the same wall clock; as long as we spent less than half
    // that inside, nobody can have, and the second scan is skipped. Otherwise look again with
    // our file in place: two contenders that both wrote their file cannot both miss the other.
    if (Date.now() - entered >= GUARD_STALE_MS / 2) {
      const after = blockers(
        scanHolders(dir, true).filter((h) => h.file !== path.basename(file)),
        mode,
      );
      if (after.length > 0) {
        try {
          unlinkSync(file);
        } catch (err) {
          ignoreErrno(err, "ENOENT");
        }
        return { blocking: after.map((h) => withUpid(dir, h)) };
      }
    }
    return { guard: new HeldLock(dir, mode, file) };
  } finally {
    guard.release();
  }
}

/**
 * Takes `dir/.guard`, a directory as mutex (mkdir is atomic), held for microseconds while the
 * holder set changes. One left behind by a process that died inside it is broken once its
 * mtime is GUARD_STALE_MS old. (proper-lockfile did this before, at three times the syscalls
 * and a timer per call; docs/locking.md.) Creates `dir` when missing: lock directories come
 * and go (another process may remove an emptied one between our mkdir and our guard), hence
 * the loop.
 */
function takeGuardMutex(dir: string): { release: () => void } | { busy: unknown } {
  const guardDir = path.join(dir, GUARD_NAME);
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      mkdirSync(guardDir);
      return {
        release: () => {
          try {
            rmdirSync(guardDir);
          } catch (err) {
            ignoreErrno(err, "ENOENT");
          }
        },
      };
    } catch (err) {
      if (isErrno(err, "ENOENT")) {
        mkdirSync(dir, { recursive: true });
      } else if (isErrno(err, "EEXIST")) {
        if (!breakStaleGuard(guardDir)) return { busy: Object.assign(new Error(`lock guard ${guardDir} is busy`), { code: "ELOCKED" }) };
      } else throw err;
    }
  }
  return { busy: new Error(`lock directory ${dir} keeps vanishing`) };
}

/** Removes a guard whose holder died inside it; true when it is gone (so try again). */
function breakStaleGuard(guardDir: string): boolean {
  try {
    if (statSync(guardDir).mtimeMs >= Date.now() - GUARD_STALE_MS) return false;
    rmdirSync(guardDir);
  } catch (err) {
    ignoreErrno(err, "ENOENT");
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Held locks and the heartbeat.

class HeldLock implements LockGuard {
  readonly path: string;
  readonly mode: AcquireMode;
  readonly file: string;
  // Made on first use: a move takes thousands of snapshot locks and asks none for its signal.
  private controller: AbortController | undefined;
  private lostReason: CofferError | undefined;
  private released = false;

  constructor(dir: string, mode: AcquireMode, file: string) {
    this.path = dir;
    this.mode = mode;
    this.file = file;
    held.set(file, this);
    startHeartbeat();
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.lostReason) this.controller.abort(this.lostReason);
    }
    return this.controller.signal;
  }

  get lost(): CofferError | undefined {
    return this.lostReason;
  }

  /** The holder file vanished: someone judged us stale and may hold the lock now. */
  compromise(): void {
    held.delete(this.file);
    this.lostReason = new CofferError(
      "ABORTED",
      `lock ${JSON.stringify(this.path)} was lost: its holder file was removed (judged stale after ${HOLDER_STALE_MS / 1000} s without a refresh)`,
    );
    this.controller?.abort(this.lostReason);
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    held.delete(this.file);
    // No guard needed: removing only our own file can make others' checks only more permissive,
    // and a release must not wait behind a guard mutex or fail in a `finally`.
    try {
      unlinkSync(this.file);
    } catch (err) {
      ignoreErrno(err, "ENOENT");
    }
  }

  async releaseAndRemove(): Promise<void> {
    await this.release();
    // rmdir removes only an empty directory: another holder or a busy guard keeps it. Any
    // failure leaves an empty lock directory behind, which is harmless.
    try {
      rmdirSync(this.path);
    } catch {
      // not empty, or gone
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }
}

function startHeartbeat(): void {
  if (state.heartbeat) return;
  state.heartbeat = setInterval(() => void beat(), HEARTBEAT_MS);
  state.heartbeat.unref(); // a held lock must not keep the process alive
}

async function beat(): Promise<void> {
  if (state.beating) return;
  state.beating = true;
  try {
    const now = new Date();
    await Promise.all(
      [...held.values()].map(async (lock) => {
        try {
          await lutimes(lock.file, now, now);
        } catch (err) {
          // Any other error (EIO, ...) is retried at the next tick; the stale time leaves room.
          if (isErrno(err, "ENOENT") && held.get(lock.file) === lock) lock.compromise();
        }
      }),
    );
  } finally {
    state.beating = false;
    if (held.size === 0 && state.heartbeat) {
      clearInterval(state.heartbeat);
      state.heartbeat = undefined;
    }
  }
}

// ---------------------------------------------------------------------------------------------

function ignoreErrno(err: unknown, ...codes: string[]): void {
  if (!codes.some((c) => isErrno(err, c))) throw err;
}

function backoff(attempt: number, minMs: number, maxMs: number): number {
  const base = Math.min(maxMs, minMs * 1.5 ** attempt);
  return base / 2 + Math.random() * (base / 2);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
