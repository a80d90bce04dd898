/**
 * Shared and exclusive locks across processes, with PBS's lock semantics (reference
 * pbs-engine.md 3) built on proper-lockfile (DESIGN.md 5). The primitive under every lock
 * Coffer takes: the datastore's (server/datastore/locking/locks.ts), config files, task lists.
 *
 * Layout: a lock at path P is a DIRECTORY P with one file per holder. The file name says who
 * holds it, so a readdir alone answers "who?": `<x|s>~<pid>~<pstart>~<sinceMs>~<nonce>`; the
 * content is the task UPID, if a task holds it. While the holder set changes, `P/.guard` (a
 * proper-lockfile mutex, a directory too) is held for a few milliseconds.
 *
 * A holder is gone when its process is (pid + start time, checked at once) or when its file
 * was not refreshed for HOLDER_STALE_MS: a process-wide heartbeat refreshes every holder file
 * this process owns. A holder that finds its file removed (someone judged it stale) learns so
 * through its guard's AbortSignal, never by a crash and never by carrying on silently.
 */
import { randomBytes } from "node:crypto";
import fs, { mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { utimes } from "node:fs/promises";
import path from "node:path";

import lockfile from "proper-lockfile";

import {
  CofferError,
  LockConflictError,
  describeHolders,
  isErrno,
  withContext,
  type LockHolder,
} from "../datastore/model/errors";
import { waitTurn } from "./local-queue";
import { isProcessAlive, selfStartTime } from "./process";

export type LockMode = "shared" | "exclusive";

/** A holder file not refreshed for this long is dropped (DESIGN 5: free within at most 10 s). */
export const HOLDER_STALE_MS = 10_000;
/** Heartbeat period: four refreshes per stale period, so one late tick does no harm. */
export const HEARTBEAT_MS = 2_500;
/** proper-lockfile stale time of the short guard mutex (a holder that died inside it). */
const GUARD_STALE_MS = 4_000;
/** How long to wait for the guard: long enough to outlive a dead guard holder. */
const GUARD_WAIT_MS = GUARD_STALE_MS + 2_000;
const GUARD_NAME = ".guard";

export interface LockGuard {
  /** The lock directory. */
  readonly path: string;
  readonly mode: LockMode;
  /** Aborted (reason: a CofferError) when the lock was lost; long operations check it. */
  readonly signal: AbortSignal;
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
  mode: LockMode;
  /** 0 (default): fail at once on a conflict; otherwise retry until this many ms have passed. */
  timeoutMs?: number;
}

let ownerTask: string | undefined;

/** Records the task UPID of this process in every lock it takes from now on (PBS shows it). */
export function setLockOwnerTask(upid: string | undefined): void {
  ownerTask = upid;
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

/** The live holders of a lock (none when it does not exist). Reads only; changes nothing. */
export async function readLockHolders(lockPath: string): Promise<LockHolder[]> {
  const dir = path.resolve(lockPath);
  return scanHolders(dir, false).map((e) => withUpid(dir, e));
}

/**
 * Exclusive waiting lock for a config file, the move journal, an active-operations file or a
 * task list. `absPath` names the lock itself (a directory is made there), so pass
 * `<file>.lock`, never the file being protected.
 */
export async function lockNamed(absPath: string, timeoutMs = 10_000): Promise<LockGuard> {
  const dir = path.resolve(absPath);
  const started = Date.now();
  // In this process, waiters line up (local-queue.ts); only the head contends across processes.
  const turn = await waitTurn(dir, timeoutMs, () => {
    const holders = scanHolders(dir, false).map((e) => withUpid(dir, e));
    return new LockConflictError(`Unable to acquire lock ${JSON.stringify(dir)} - ${describeHolders(holders)}`, dir, holders);
  });
  let guard: LockGuard;
  try {
    guard = await acquireLock(dir, { mode: "exclusive", timeoutMs: Math.max(0, timeoutMs - (Date.now() - started)) });
  } catch (err) {
    turn.done();
    throw err;
  }
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

interface HolderEntry extends LockHolder {
  file: string;
}

const HOLDER_RE = /^([xs])~([0-9]+)~([0-9]+)~([0-9]+)~([0-9a-f]+)$/;

function holderFileName(mode: LockMode, since: number): string {
  return [mode === "exclusive" ? "x" : "s", process.pid, selfStartTime(), since, randomBytes(6).toString("hex")].join("~");
}

function parseHolderName(file: string): HolderEntry | undefined {
  const m = HOLDER_RE.exec(file);
  if (!m) return undefined; // `.guard`, or a nested lock folder (a namespace named like a group lock)
  return { file, mode: m[1] === "x" ? "exclusive" : "shared", pid: Number(m[2]), pstart: Number(m[3]), since: Number(m[4]) };
}

/**
 * The live holders in `dir`. With `prune` (only under the guard), the files of dead or stale
 * holders are removed, which is what tells a stalled holder (through its heartbeat) that it
 * lost the lock.
 */
function scanHolders(dir: string, prune: boolean): HolderEntry[] {
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
    let fresh = false;
    if (isProcessAlive(h.pid, h.pstart)) {
      try {
        fresh = statSync(file).mtimeMs >= now - HOLDER_STALE_MS;
      } catch (err) {
        if (isErrno(err, "ENOENT")) continue; // released meanwhile
        throw err;
      }
    }
    if (fresh) live.push(h);
    else if (prune) {
      try {
        unlinkSync(file);
      } catch (err) {
        ignoreErrno(err, "ENOENT");
      }
    }
  }
  return live;
}

function withUpid(dir: string, h: HolderEntry): LockHolder {
  const holder: LockHolder = { pid: h.pid, pstart: h.pstart, since: h.since, mode: h.mode };
  let upid = "";
  try {
    upid = readFileSync(path.join(dir, h.file), "utf8");
  } catch {
    // released meanwhile, or no UPID
  }
  if (upid.trim()) holder.upid = upid.trim();
  return holder;
}

function blockers(holders: HolderEntry[], mode: LockMode): HolderEntry[] {
  return mode === "exclusive" ? holders : holders.filter((h) => h.mode === "exclusive");
}

type Outcome = { guard: LockGuard } | { blocking: LockHolder[] } | { busy: unknown };

/**
 * One attempt, synchronous on purpose: a handful of syscalls on a local (usually tmpfs)
 * directory take microseconds each, while the same calls through the async fs API cost a
 * thread-pool round trip each; moves take thousands of snapshot locks (see bench/move.ts).
 */
function tryAcquire(dir: string, mode: LockMode): Outcome {
  const guard = takeGuardMutex(dir);
  if ("busy" in guard) return guard;
  try {
    const before = blockers(scanHolders(dir, true), mode);
    if (before.length > 0) return { blocking: before.map((h) => withUpid(dir, h)) };

    const since = Date.now();
    const file = path.join(dir, holderFileName(mode, since));
    writeFileSync(file, ownerTask ?? "", { flag: "wx" });
    // Look again with our file in place. Under an intact guard nothing can have changed; if the
    // guard was broken (we stalled past its stale time), two contenders that both wrote their
    // file cannot both miss the other here, so exclusion holds even then.
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
    return { guard: new HeldLock(dir, mode, file) };
  } finally {
    guard.release();
  }
}

/**
 * The file system proper-lockfile's sync API uses. Its default is graceful-fs, which it copies
 * property by property on every lockSync call; this minimal object halves the cost of a guard.
 */
const GUARD_FS = {
  mkdir: fs.mkdir,
  realpath: fs.realpath,
  stat: fs.stat,
  rmdir: fs.rmdir,
  utimes: fs.utimes,
  mkdirSync: fs.mkdirSync,
  realpathSync: fs.realpathSync,
  statSync: fs.statSync,
  rmdirSync: fs.rmdirSync,
  utimesSync: fs.utimesSync,
};

/**
 * Takes `dir/.guard` (proper-lockfile). Creates `dir` when missing: lock directories come and
 * go (another process may remove an emptied one between our mkdir and our lock), hence the loop.
 */
function takeGuardMutex(dir: string): { release: () => void } | { busy: unknown } {
  // Most lock directories are new (snapshot locks are removed after a move or destroy); making
  // it first spares proper-lockfile's failing ENOENT round.
  mkdirSync(dir, { recursive: true });
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const release = lockfile.lockSync(dir, {
        lockfilePath: path.join(dir, GUARD_NAME),
        realpath: false,
        stale: GUARD_STALE_MS,
        // Held for microseconds; if we stalled past its stale time, the re-check in tryAcquire
        // keeps exclusion intact, so there is nothing to abort (and the default would throw
        // from a timer, crashing the process).
        onCompromised: () => {},
        fs: GUARD_FS,
      });
      return {
        release: () => {
          try {
            release();
          } catch (err) {
            ignoreErrno(err, "ERELEASED", "ENOENT");
          }
        },
      };
    } catch (err) {
      if (isErrno(err, "ENOENT")) mkdirSync(dir, { recursive: true });
      else if (isErrno(err, "ELOCKED")) return { busy: err };
      else throw err;
    }
  }
  return { busy: new Error(`lock directory ${dir} keeps vanishing`) };
}

// ---------------------------------------------------------------------------------------------
// Held locks and the heartbeat.

const held = new Map<string, HeldLock>();
let heartbeat: NodeJS.Timeout | undefined;
let beating = false;

class HeldLock implements LockGuard {
  readonly path: string;
  readonly mode: LockMode;
  readonly file: string;
  private readonly controller = new AbortController();
  private released = false;

  constructor(dir: string, mode: LockMode, file: string) {
    this.path = dir;
    this.mode = mode;
    this.file = file;
    held.set(file, this);
    startHeartbeat();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The holder file vanished: someone judged us stale and may hold the lock now. */
  compromise(): void {
    held.delete(this.file);
    this.controller.abort(
      new CofferError(
        "ABORTED",
        `lock ${JSON.stringify(this.path)} was lost: its holder file was removed (judged stale after ${HOLDER_STALE_MS / 1000} s without a refresh)`,
      ),
    );
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
  if (heartbeat) return;
  heartbeat = setInterval(() => void beat(), HEARTBEAT_MS);
  heartbeat.unref(); // a held lock must not keep the process alive
}

async function beat(): Promise<void> {
  if (beating) return;
  beating = true;
  try {
    const now = new Date();
    await Promise.all(
      [...held.values()].map(async (lock) => {
        try {
          await utimes(lock.file, now, now);
        } catch (err) {
          // Any other error (EIO, ...) is retried at the next tick; the stale time leaves room.
          if (isErrno(err, "ENOENT") && held.get(lock.file) === lock) lock.compromise();
        }
      }),
    );
  } finally {
    beating = false;
    if (held.size === 0 && heartbeat) {
      clearInterval(heartbeat);
      heartbeat = undefined;
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
