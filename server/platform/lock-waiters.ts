/**
 * Waiters for a named lock announce themselves, so that a holder that keeps the lock across
 * many steps (a namespace move keeps the move journal's lock across its groups) can let them
 * in between two steps. Without it, a waiter that polls with backoff almost never finds the lock
 * free in the microseconds between a release and the holder's next acquire: GC's journal drain
 * would wait out its timeout behind a long move.
 *
 * Layout: beside the lock directory P, a directory `P.waiting` with one symbolic link per waiter,
 * named `w~<pid>~<pstart>~<sinceMs>~<seq>` (the holder naming of file-lock.ts). A waiter's link
 * counts while its process lives; links of dead processes are removed by whoever looks. The
 * directory is removed when its last waiter leaves; an announcer that finds it gone makes it.
 */
import { lstatSync, mkdirSync, readdirSync, rmdirSync, symlinkSync, unlinkSync } from "node:fs";
import path from "node:path";

import { isErrno } from "../datastore/model/errors";
import { processGlobal } from "./process-global";
import { isProcessAlive, selfStartTime } from "./process";

const WAITER_RE = /^w~([0-9]+)~([0-9]+)~([0-9]+)~([0-9a-f]+)$/;

/** This process's announcements, judged live from here without a /proc read; one per process. */
const state = processGlobal("lock-waiters", () => ({ mine: new Set<string>(), sequence: 0 }));
const mine = state.mine;

export function waitingDir(lockDir: string): string {
  return `${lockDir}.waiting`;
}

/**
 * Announces this process as a waiter for the lock directory `lockDir`; returns what `withdraw`
 * takes, or undefined when the announcement could not be made (the wait still works, only
 * without the holder's knowing).
 */
export function announce(lockDir: string): string | undefined {
  const dir = waitingDir(lockDir);
  const file = path.join(dir, ["w", process.pid, selfStartTime(), Date.now(), (++state.sequence).toString(16)].join("~"));
  // The directory may vanish between our mkdir and our symlink (its last waiter left): again.
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      symlinkSync("-", file);
      mine.add(file);
      return file;
    } catch (err) {
      if (!isErrno(err, "ENOENT")) return undefined;
      try {
        mkdirSync(dir, { recursive: true });
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** Ends an announcement; removes the waiting directory when it was the last one. */
export function withdraw(file: string): void {
  mine.delete(file);
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
  try {
    rmdirSync(path.dirname(file));
  } catch {
    // another waiter is still there (or the directory is gone)
  }
}

/**
 * Whether a live process (this one included) waits for the lock directory `lockDir`. One lstat
 * when nobody does, which is what a holder asks between two steps.
 */
export function hasLockWaiters(lockDir: string): boolean {
  const dir = waitingDir(lockDir);
  if (!lstatSync(dir, { throwIfNoEntry: false })) return false;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return false;
  }
  let waiting = false;
  for (const name of names) {
    const m = WAITER_RE.exec(name);
    if (!m) continue;
    const file = path.join(dir, name);
    const pid = Number(m[1]);
    const pstart = Number(m[2]);
    const live = pid === process.pid ? pstart === selfStartTime() && mine.has(file) : isProcessAlive(pid, pstart);
    if (live) {
      waiting = true;
      continue;
    }
    // A waiter that died while waiting: its unique name is never reused, so removing it is safe.
    try {
      unlinkSync(file);
    } catch {
      // removed meanwhile
    }
  }
  return waiting;
}
