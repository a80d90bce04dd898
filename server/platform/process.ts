/**
 * Process identity on this host, the way PBS tells a live process from a recycled pid: a pid
 * plus its start time (field 22 of /proc/<pid>/stat, clock ticks since boot). Lock holders,
 * active-operation entries and backup writers all record both, so an entry whose process died
 * is recognised at once even when the kernel has handed the pid to someone else.
 */
import { closeSync, openSync, readFileSync, readSync } from "node:fs";

import { CofferError } from "../datastore/model/errors";

export interface ProcStat {
  /** Field 3: R, S, D, Z (zombie), X (dead), ... */
  state: string;
  /** Field 6: the session id (the pid of the session's leader). */
  session: number;
  /** Field 22. */
  starttime: number;
}

/**
 * Room for a whole /proc/<pid>/stat line (52 numbers and a name of at most 16 bytes: about
 * 1 KiB at the very most). One buffer for every read: a read is synchronous and copies out.
 */
const statBuffer = Buffer.allocUnsafe(4096);

/**
 * Lock holders, active operations and task lists ask this for every entry they judge, so it is
 * read with one `open`, one `read` and a `close`; readFileSync also made an `fstat` and a second
 * `read` to find the end of a file whose size /proc does not tell.
 */
function readStat(pid: number): ProcStat | undefined {
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  let text: string;
  try {
    const fd = openSync(`/proc/${pid}/stat`, "r");
    try {
      const n = readSync(fd, statBuffer, 0, statBuffer.length, null);
      // A line that fills the buffer (never seen) is read again whole.
      text = n < statBuffer.length ? statBuffer.toString("latin1", 0, n) : readFileSync(`/proc/${pid}/stat`, "latin1");
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined; // no such process (ENOENT), or /proc hides it from us (EACCES)
  }
  return parseProcStat(text);
}

/** Parses the text of /proc/<pid>/stat (exported for tests). */
export function parseProcStat(text: string): ProcStat | undefined {
  // Field 2 is `(comm)`, and comm may itself contain spaces and parentheses: the fields
  // after it start behind the LAST `)`.
  const close = text.lastIndexOf(")");
  if (close < 0) return undefined;
  const fields = text.slice(close + 2).split(" ");
  // fields[0] is field 3 (state), so field N is fields[N - 3].
  const state = fields[0];
  const session = fields[6 - 3];
  const start = fields[22 - 3];
  if (state === undefined || start === undefined || !/^[0-9]+$/.test(start) || session === undefined || !/^[0-9]+$/.test(session)) {
    return undefined;
  }
  return { state, session: Number(session), starttime: Number(start) };
}

/** Whether this process leads its session (getsid(0) === getpid()). */
export function isSessionLeader(): boolean {
  return readStat(process.pid)?.session === process.pid;
}

/** Field 22 of /proc/<pid>/stat, or undefined when there is no such process. */
export function processStartTime(pid: number): number | undefined {
  return readStat(pid)?.starttime;
}

let selfStart: number | undefined;

/** Start time of this process (cached: it cannot change while we run). */
export function selfStartTime(): number {
  if (selfStart === undefined) {
    const start = processStartTime(process.pid);
    if (start === undefined) {
      throw new CofferError("INTERNAL", `unable to read the start time of this process from /proc/${process.pid}/stat`);
    }
    selfStart = start;
  }
  return selfStart;
}

/**
 * True when `pid` runs and started at `pstart`. A zombie counts as dead: it has exited and
 * only waits to be reaped, so whatever it held is no longer in use (a child killed by its
 * parent stays a zombie until the parent's event loop reaps it).
 */
export function isProcessAlive(pid: number, pstart: number): boolean {
  const stat = readStat(pid);
  if (!stat || stat.starttime !== pstart) return false;
  return stat.state !== "Z" && stat.state !== "X" && stat.state !== "x";
}
