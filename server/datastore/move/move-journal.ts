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
import { appendFileSync, promises as fs } from "node:fs";
import path from "node:path";
import { paths } from "../../config/paths";
import { CofferError, isErrno, withContext } from "../model/errors";
import { lockNamed } from "../../platform/file-lock";

const journalFile = (store: string) => paths.moveJournal(store);
const journalLock = (store: string) => `${paths.moveJournal(store)}.lck`;

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
 * write under the journal lock (10 s). An empty list is a no-op.
 */
export async function appendToMoveJournal(store: string, entries: string[]): Promise<void> {
  if (entries.length === 0) return;
  for (const p of entries) {
    if (!path.isAbsolute(p)) throw new CofferError("INTERNAL", `move-journal: refusing to record non-absolute path ${JSON.stringify(p)}`);
    if (p.includes("\n")) throw new CofferError("INTERNAL", `move-journal: path contains newline ${JSON.stringify(p)}`);
  }
  const file = journalFile(store);
  const guard = await lockJournal(store);
  try {
    // Synchronous: one small O_APPEND write per batch of moved snapshots, on the move's hot path.
    appendFileSync(file, entries.map((p) => `${p}\n`).join(""), { mode: 0o660 });
  } catch (err) {
    throw withContext("failed to append to move journal", err);
  } finally {
    await guard.release();
  }
}

/**
 * Runs `mark` for every journal entry under the journal lock, then truncates the journal. A
 * `mark` error aborts without truncating, so the next GC retries the entries. `mark` decides
 * what a missing snapshot or index means (a ghost entry of a failed move: skip it).
 */
export async function drainMoveJournal(store: string, mark: (entry: string) => Promise<void>): Promise<number> {
  const file = journalFile(store);
  const guard = await lockJournal(store);
  try {
    let text: string;
    try {
      text = await fs.readFile(file, "utf8");
    } catch (err) {
      if (isErrno(err, "ENOENT")) return 0;
      throw err;
    }
    let n = 0;
    for (const line of text.split("\n")) {
      const entry = line.trim();
      if (!entry) continue;
      try {
        await mark(entry);
      } catch (err) {
        throw withContext(`move-journal: processing '${entry}' failed`, err);
      }
      n++;
    }
    await fs.truncate(file, 0);
    return n;
  } finally {
    await guard.release();
  }
}

/** The journal's entries, for tests and support. */
export async function readMoveJournal(store: string): Promise<string[]> {
  try {
    return (await fs.readFile(journalFile(store), "utf8")).split("\n").filter((l) => l.trim() !== "");
  } catch (err) {
    if (isErrno(err, "ENOENT")) return [];
    throw err;
  }
}
