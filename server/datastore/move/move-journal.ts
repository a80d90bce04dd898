/**
 * The move journal (reference 4.8): before a snapshot is renamed, its absolute post-rename
 * directory (ending in `/`) is appended here; garbage collection drains the journal at the end
 * of its mark phase and marks the index files in those directories too. That closes the race
 * where GC lists the index files, a move puts a snapshot into a namespace GC has already walked,
 * and the snapshot's chunks are marked at neither place. Invariant: if the new path exists, its
 * journal entry exists.
 *
 * PBS journals each index file, which makes the move list every snapshot directory before its
 * rename (5 syscalls per snapshot on the move's hot path). A finished snapshot's files never
 * change, so naming the directory is as good: GC lists it when it drains, long after the move
 * (docs/locking.md). Entries naming an index file (the PBS form) are still understood.
 */
import { closeSync, openSync, promises as fs, writeSync } from "node:fs";
import path from "node:path";
import { paths } from "../../config/paths";
import { CofferError, isErrno, withContext } from "../model/errors";
import { type LockGuard, lockNamed } from "../../platform/file-lock";
import { hasLockWaiters } from "../../platform/lock-waiters";

const journalFile = (store: string) => paths.moveJournal(store);
/** The journal's lock directory (exported for tests that wait for a waiter). */
export const journalLock = (store: string) => `${paths.moveJournal(store)}.lck`;

/** Taking the lock makes the journal's directory when it is missing (the lock lives beside it). */
async function lockJournal(store: string) {
  try {
    return await lockNamed(journalLock(store), 10_000);
  } catch (err) {
    throw withContext(`failed to acquire exclusive move-journal lock at ${JSON.stringify(journalLock(store))}`, err);
  }
}

/** A journal entry naming a snapshot directory: its absolute path with a trailing `/`. */
export function snapshotDirEntry(absoluteDir: string): string {
  return absoluteDir.endsWith("/") ? absoluteDir : `${absoluteDir}/`;
}

export function isSnapshotDirEntry(entry: string): boolean {
  return entry.endsWith("/");
}

/**
 * Appends entries (absolute snapshot directories ending in `/`, or absolute index files) in one
 * write under the journal lock (10 s), and lets the lock go: MoveJournalWriter used once. An
 * empty list is a no-op.
 */
export async function appendToMoveJournal(store: string, entries: string[]): Promise<void> {
  const writer = new MoveJournalWriter(store);
  try {
    await writer.append(entries);
  } finally {
    await writer.close();
  }
}

function journalText(entries: string[]): string {
  for (const p of entries) {
    if (!path.isAbsolute(p)) throw new CofferError("INTERNAL", `move-journal: refusing to record non-absolute path ${JSON.stringify(p)}`);
    if (p.includes("\n")) throw new CofferError("INTERNAL", `move-journal: path contains newline ${JSON.stringify(p)}`);
  }
  return entries.map((p) => `${p}\n`).join("");
}

/**
 * The journal as a move writes it: the lock and the open file are kept from one append to the
 * next, across groups, instead of being taken and let go per group (7 calls of a group's ~45,
 * the largest share after its renames; bench/move.ts). Between two appends it lets waiters in:
 * GC's drain, another move (lock-waiters.ts). What the journal guarantees does not change:
 * every entry is written before its rename; and since the lock is now also held across the
 * renames that follow an append, a drain can no longer fall between an entry and its rename.
 * `close` when the move is done (or before it waits for anything else).
 */
export class MoveJournalWriter {
  private guard: LockGuard | undefined;
  private fd: number | undefined;
  private heldSince = 0;
  /** When waiters were last looked for: at most once per WAITER_CHECK_MS (an lstat each). */
  private waitersCheckedAt = 0;

  /**
   * `holdMs`: how long the lock is kept before waiters are let in. Two moves at once would
   * otherwise hand the lock to each other at every group, each handover costing the waiter's
   * poll (10 ms and more): 5,000 groups would take minutes. GC's drain waits at most this long
   * (plus its poll). Tests pass 0 to see the handover at the first chance.
   */
  constructor(
    readonly store: string,
    private readonly holdMs = JOURNAL_HOLD_MS,
  ) {}

  /** Why the journal's lock was lost (judged stale): the move must stop before its next rename. */
  get lost(): CofferError | undefined {
    return this.guard?.lost;
  }

  /** Appends `entries` in one write (an empty list is a no-op). */
  async append(entries: string[]): Promise<void> {
    if (entries.length === 0) return;
    const text = Buffer.from(journalText(entries));
    if (this.guard?.lost) throw withContext("failed to append to move journal", this.guard.lost);
    if (this.guard && this.waitersDue() && hasLockWaiters(this.guard.path)) await this.yieldToWaiters();
    if (!this.guard) {
      const guard = await lockJournal(this.store);
      try {
        this.fd = openSync(journalFile(this.store), "a", 0o660);
      } catch (err) {
        await guard.release();
        throw withContext("failed to append to move journal", err);
      }
      this.guard = guard;
      this.heldSince = Date.now();
    }
    try {
      for (let done = 0; done < text.length; ) done += writeSync(this.fd!, text, done);
    } catch (err) {
      throw withContext("failed to append to move journal", err);
    }
  }

  /**
   * Whether to look for waiters before this append: not before the quantum is used up, then at
   * most every WAITER_CHECK_MS. A move appends once per group (every 40-60 us), and one lstat
   * per append was about 3 % of a move (bench/move.ts); a waiter polls every 20-250 ms, so a
   * few milliseconds more are nothing to it.
   */
  private waitersDue(): boolean {
    const now = Date.now();
    if (now - this.heldSince < this.holdMs) return false;
    if (now - this.waitersCheckedAt < Math.min(this.holdMs, WAITER_CHECK_MS)) return false;
    this.waitersCheckedAt = now;
    return true;
  }

  /** Closes the file and lets the lock go. Idempotent; the next append takes both again. */
  async close(): Promise<void> {
    const guard = this.guard;
    const fd = this.fd;
    this.guard = undefined;
    this.fd = undefined;
    try {
      if (fd !== undefined) closeSync(fd);
    } finally {
      await guard?.release();
    }
  }

  /**
   * Lets the lock go and waits until the waiters have had it (they stop waiting once they hold
   * it), at most YIELD_MAX_MS: a waiter polls with a backoff of up to 250 ms, and would find
   * the lock taken again at once if this move asked right after letting it go.
   */
  private async yieldToWaiters(): Promise<void> {
    const lock = this.guard!.path;
    await this.close();
    const until = Date.now() + YIELD_MAX_MS;
    while (hasLockWaiters(lock) && Date.now() < until) await new Promise((r) => setTimeout(r, 2));
  }
}

/** The longest a move waits for the journal's waiters before it asks for the lock again. */
const YIELD_MAX_MS = 5_000;

/** How long a move keeps the journal's lock before it lets waiters in (see the constructor). */
export const JOURNAL_HOLD_MS = 100;

/** Once the hold is used up, how often a move looks for the journal's waiters (waitersDue). */
const WAITER_CHECK_MS = 5;

/**
 * A drain marks at most this many entries while it holds the journal's lock (about 0.3 s here);
 * a larger journal is first taken away and marked without the lock, so that moves go on.
 */
export const LOCKED_DRAIN_MAX = 10_000;
/** Rounds without the lock before the drain marks the rest under it, however many are left. */
export const UNLOCKED_DRAIN_ROUNDS = 3;

/** Entries a drain took and has not finished marking: kept when marking fails, for the next GC. */
const takenFile = (store: string) => `${journalFile(store)}.draining`;

export interface DrainOptions {
  /** Told at the start of each round how many entries it marks, and whether under the lock. */
  onRound?: (entries: number, locked: boolean) => void;
  /** Tests: LOCKED_DRAIN_MAX and UNLOCKED_DRAIN_ROUNDS. */
  lockedMax?: number;
  unlockedRounds?: number;
}

/**
 * Runs `mark` for every journal entry, then empties the journal. A `mark` error aborts and keeps
 * the entries (`move-journal.draining` and the journal itself), so the next GC retries them.
 * `mark` decides what a missing snapshot or index means (a ghost entry of a failed move: skip).
 *
 * PBS marks every entry under the journal's lock, and a journal that grew for long without a GC
 * then kept every move waiting, and failing after 10 s, for the whole drain (1.4 million entries
 * took 44 s). Here a large journal is drained in rounds: under the lock, take the entries
 * (rename the journal aside) and let go; mark them while moves go on; repeat until few are left
 * (or after UNLOCKED_DRAIN_ROUNDS), and mark those under the lock, as PBS does. That is as safe:
 * - Every move whose rename this GC's walk could have missed journalled it before the drain
 *   began (the drain comes after the walk, and a move holds the lock from its append to the end
 *   of its renames), so the first round takes every entry that matters.
 * - A snapshot that moves again while a round marks without the lock may be gone from the path
 *   the entry names, and is skipped there; but its new path was journalled first, and a later
 *   round takes it. The last round runs under the lock, where nothing moves, so the last place
 *   of every snapshot is marked.
 * Within a round each entry is marked once (moving back and forth journals the same paths again).
 */
export async function drainMoveJournal(store: string, mark: (entry: string) => Promise<void>, opts: DrainOptions = {}): Promise<number> {
  const lockedMax = opts.lockedMax ?? LOCKED_DRAIN_MAX;
  const unlockedRounds = opts.unlockedRounds ?? UNLOCKED_DRAIN_ROUNDS;
  const file = journalFile(store);
  const taken = takenFile(store);
  let drained = 0;
  for (let round = 0; ; round++) {
    const guard = await lockJournal(store);
    let entries: string[];
    try {
      // A drain that failed left what it had taken: it comes first.
      const [left, added] = await Promise.all([readText(taken), readText(file)]);
      entries = distinctEntries(left + added);
      if (entries.length <= lockedMax || round >= unlockedRounds) {
        opts.onRound?.(entries.length, true);
        drained += await markAll(entries, mark);
        await fs.rm(taken, { force: true });
        if (added !== "") await fs.truncate(file, 0);
        return drained;
      }
      if (left === "") await fs.rename(file, taken);
      else if (added !== "") {
        await fs.appendFile(taken, added, { mode: 0o660 });
        await fs.truncate(file, 0);
      }
    } finally {
      await guard.release();
    }
    opts.onRound?.(entries.length, false);
    drained += await markAll(entries, mark);
    await fs.rm(taken, { force: true });
  }
}

async function readText(file: string): Promise<string> {
  try {
    return await fs.readFile(file, "utf8");
  } catch (err) {
    if (isErrno(err, "ENOENT")) return "";
    throw err;
  }
}

function distinctEntries(text: string): string[] {
  const out = new Set<string>();
  for (const line of text.split("\n")) {
    const entry = line.trim();
    if (entry) out.add(entry);
  }
  return [...out];
}

async function markAll(entries: string[], mark: (entry: string) => Promise<void>): Promise<number> {
  for (const entry of entries) {
    try {
      await mark(entry);
    } catch (err) {
      throw withContext(`move-journal: processing '${entry}' failed`, err);
    }
  }
  return entries.length;
}

/** The journal's entries, for tests and support. */
export async function readMoveJournal(store: string): Promise<string[]> {
  return (await readText(journalFile(store))).split("\n").filter((l) => l.trim() !== "");
}
