/**
 * The task log file (reference pbs-engine.md 8.2, 8.3): `tasks/<XX>/<UPID>`, every line
 * `{local RFC 3339 time}: {message}`, the last one `TASK OK` / `TASK WARNINGS: n` /
 * `TASK ERROR: msg`. Writing is synchronous, as PBS's FileLogger: lines land in the order they
 * were logged. Info lines that come in a burst are written together (FLUSH_MS); warnings,
 * errors and the final line are written at once, with everything logged before them.
 */
import { createHash } from "node:crypto";
import { closeSync, fstatSync, mkdirSync, openSync, readSync, writeSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";

import { paths } from "../../config/paths";
import { CofferError, errorMessage, isErrno } from "../../datastore/model/errors";
import type { EngineLog } from "../../datastore/model/log";
import { finalLineText, oneLine, parseTaskState, type TaskState } from "./task-state";
import { formatUpid, parseUpid, type Upid } from "./upid";

/** PBS reads only this much of the log's end to find the final line. */
const STATUS_TAIL_BYTES = 8192;

/**
 * `<tasks>/<XX>/<UPID>` with XX = pstart & 0xFF as two upper-case hex digits. The file name is
 * the UPID formatted anew from its parsed fields, never the caller's string: a UPID is input
 * from the network, and only the parsed fields are known to hold no path separator. A UPID that
 * is not in canonical form (lower-case hex, say) therefore names no file Coffer wrote.
 */
export function taskLogPath(upid: string | Upid): string {
  const u = typeof upid === "string" ? parseUpid(upid) : upid;
  const xx = (u.pstart & 0xff).toString(16).toUpperCase().padStart(2, "0");
  const name = taskLogName(formatUpid(u));
  const dir = path.join(paths.tasks(), xx);
  const file = path.join(dir, name);
  // Defence in depth: the formatted name is one plain path component.
  if (path.dirname(file) !== dir || name.includes("/") || name.includes("\0")) {
    throw new CofferError("BAD_REQUEST", `unable to parse UPID '${name}'`);
  }
  return file;
}

/** Longest file name most file systems take (NAME_MAX). */
const MAX_FILE_NAME = 255;

/**
 * The log's file name: the UPID itself, as PBS names it, unless it is too long for a file name
 * (a long worker id, e.g. a verify of a group with a 255-character id); then `UPID-sha256-<hex>`
 * of it, the way PBS hashes over-long lock names. Both are derived from the UPID alone.
 */
function taskLogName(upid: string): string {
  if (Buffer.byteLength(upid) <= MAX_FILE_NAME) return upid;
  return `UPID-sha256-${createHash("sha256").update(upid).digest("hex")}`;
}

/** The NOT_FOUND of a task without a log; names the task, never the server's file path. */
function noLog(upid: string, cause: unknown): CofferError {
  return new CofferError("NOT_FOUND", `no log for task '${upid}'`, { cause });
}

const pad2 = (n: number) => String(n).padStart(2, "0");

/** Local time as RFC 3339 with a numeric offset (`+00:00`, never `Z`), as chrono prints it. */
export function rfc3339Local(date = new Date()): string {
  const off = -date.getTimezoneOffset();
  const abs = Math.abs(off);
  return (
    `${String(date.getFullYear()).padStart(4, "0")}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())}` +
    `T${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}` +
    `${off < 0 ? "-" : "+"}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`
  );
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Splits `<rfc3339>: <rest>`; undefined for a line without a valid time stamp. */
export function parseLogLine(line: string): { time: number; rest: string } | undefined {
  const sep = line.indexOf(": ");
  if (sep < 0) return undefined;
  const stamp = line.slice(0, sep);
  if (!RFC3339.test(stamp)) return undefined;
  const ms = Date.parse(stamp);
  if (Number.isNaN(ms)) return undefined;
  return { time: Math.floor(ms / 1000), rest: line.slice(sep + 2) };
}

/** True for the task's final line (`<time>: TASK ...`). */
export function isFinalLine(line: string): boolean {
  return parseLogLine(line)?.rest.startsWith("TASK ") ?? false;
}

/**
 * The log a task writes; it is the EngineLog the engine functions receive, so their warnings
 * count towards `TASK WARNINGS: n`.
 */
export class TaskLog implements EngineLog {
  readonly upid: string;
  readonly file: string;
  private fd: number | undefined;
  private warnings = 0;
  /** Lines logged but not yet written, and when the last write was (Date.now()). */
  private pending = "";
  private lastWrite = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  /** The time stamp of the second `stampSecond`: a burst of lines formats it once. */
  private stampSecond = -1;
  private stamp = "";

  private constructor(
    upid: string,
    file: string,
    fd: number,
    private readonly flushMs: number,
  ) {
    this.upid = upid;
    this.file = file;
    this.fd = fd;
    openLogs.add(this);
  }

  /**
   * Creates the log file; a UPID is unique, so an existing file is an error. `flushMs`: how long
   * an info line may wait to be written with the next ones (FLUSH_MS; tests set it).
   */
  static create(upid: string, opts: { flushMs?: number } = {}): TaskLog {
    const file = taskLogPath(upid);
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
    return new TaskLog(upid, file, openSync(file, "wx", 0o644), opts.flushMs ?? FLUSH_MS);
  }

  /** Warnings (and errors) logged so far. */
  get warnCount(): number {
    return this.warnings;
  }

  info(message: string): void {
    this.write(message);
  }

  /** Progress of a long operation; an info line (PBS has no separate level for it). */
  progress(message: string): void {
    this.write(message);
  }

  warn(message: string): void {
    this.warnings++;
    this.write(message);
    this.flush();
  }

  /** An error that does not end the task (PBS's ERROR level: plain text, counted as a warning). */
  error(message: string): void {
    this.warnings++;
    this.write(message);
    this.flush();
  }

  debug(message: string): void {
    this.write(message, "DEBUG: ");
  }

  /** Writes `TASK OK` or `TASK WARNINGS: n` and closes the log. */
  finishOk(): TaskState {
    const endtime = nowSeconds();
    const state: TaskState = this.warnings > 0 ? { state: "warning", count: this.warnings, endtime } : { state: "ok", endtime };
    return this.finish(state);
  }

  /** Writes `TASK ERROR: <message>` and closes the log. */
  finishError(err: unknown): TaskState {
    return this.finish({ state: "error", message: oneLine(errorMessage(err)) || "unknown error", endtime: nowSeconds() });
  }

  private finish(state: TaskState): TaskState {
    this.write(`TASK ${finalLineText(state)}`);
    this.flush();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    openLogs.delete(this);
    return state;
  }

  /** Writes the lines logged so far (the task process does so on exit too). */
  flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pending === "" || this.fd === undefined) return;
    const text = this.pending;
    this.pending = "";
    this.lastWrite = Date.now();
    writeSync(this.fd, text);
  }

  /**
   * One dated line per line of `message`, so every line of the file carries a time. A line
   * that comes within flushMs of the last write waits for the next write (at most flushMs): a
   * namespace move logs two lines per group, and a write per line was a twentieth of its time.
   */
  private write(message: string, prefix = ""): void {
    if (this.fd === undefined) return; // after the final line nothing more belongs in the log
    const now = Date.now();
    const second = Math.floor(now / 1000);
    if (second !== this.stampSecond) {
      this.stampSecond = second;
      this.stamp = rfc3339Local(new Date(now));
    }
    const stamp = this.stamp;
    this.pending += message
      .split(/\r?\n/)
      .map((l) => `${stamp}: ${prefix}${l}\n`)
      .join("");
    const since = now - this.lastWrite;
    if (since >= this.flushMs || since < 0) this.flush();
    else this.flushTimer ??= setTimeout(() => this.flush(), this.flushMs - since).unref();
  }
}

/**
 * How long a logged line may wait for others to be written with it. Short enough that the log
 * reads as live and that a task killed with SIGKILL loses at most this much of it (every other
 * end writes what is pending: the final line, an uncaught error, process exit).
 */
const FLUSH_MS = 5;

/** Logs not finished yet: what they hold is written when the process exits. */
const openLogs = new Set<TaskLog>();
process.on("exit", () => {
  for (const log of openLogs) log.flush();
});

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * Reads how a task ended from the end of its log (PBS upid_read_status): the last dated line
 * in the last 8 KiB; `TASK ...` gives the state, any other dated line means unknown (the task
 * died, or runs) with that line's time; no dated line at all → unknown at the UPID's start.
 * `final` tells whether the final line is there. Throws NOT_FOUND when there is no log.
 *
 * Synchronous on purpose: the task list asks this of every running task on every request, and
 * four trips through Node's file thread pool (open, stat, read, close) queued behind the
 * listings' reads, while the four calls themselves take microseconds on a local log (the soak:
 * 10 % of the server's time under writers went here).
 */
export async function readTaskEnd(upid: string): Promise<{ state: TaskState; final: boolean }> {
  const u = parseUpid(upid);
  const file = taskLogPath(upid);
  let tail: string;
  try {
    const fd = openSync(file, "r");
    try {
      const { size } = fstatSync(fd);
      const start = Math.max(0, size - STATUS_TAIL_BYTES);
      const buf = Buffer.allocUnsafe(size - start);
      const bytesRead = readSync(fd, buf, 0, buf.length, start);
      tail = buf.subarray(0, bytesRead).toString("utf8");
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if (isErrno(err, "ENOENT")) throw noLog(upid, err);
    throw err;
  }
  const lines = tail.replace(/\n+$/, "").split("\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    const dated = parseLogLine(lines[i]!);
    if (!dated) continue;
    if (dated.rest.startsWith("TASK ")) {
      try {
        return { state: parseTaskState(dated.rest.slice("TASK ".length), dated.time), final: true };
      } catch {
        return { state: { state: "unknown", endtime: dated.time }, final: true };
      }
    }
    return { state: { state: "unknown", endtime: dated.time }, final: false };
  }
  return { state: { state: "unknown", endtime: u.starttime }, final: false };
}

/** The state in the log's final line (upid_read_status); unknown when there is none. */
export async function readTaskStatus(upid: string): Promise<TaskState> {
  return (await readTaskEnd(upid)).state;
}

export interface TaskLogLine {
  /** 1-based line number. */
  n: number;
  t: string;
}

export interface ReadLogOptions {
  /** First line number wanted; 0 and 1 both mean the first line (PBS). Default 0. */
  start?: number;
  /** At most this many lines; 0 means to the end (PBS). Default 50. */
  limit?: number;
}

/** Lines of a task log as PBS's `GET /tasks/{upid}/log` returns them, with the total line count. */
export async function readTaskLog(upid: string, opts: ReadLogOptions = {}): Promise<{ lines: TaskLogLine[]; total: number }> {
  const file = taskLogPath(upid);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if (isErrno(err, "ENOENT")) throw noLog(upid, err);
    throw err;
  }
  const all = text === "" ? [] : text.replace(/\n$/, "").split("\n");
  const start = opts.start ?? 0;
  const limit = opts.limit ?? 50;
  const first = Math.max(start, 1) - 1;
  const slice = limit === 0 ? all.slice(first) : all.slice(first, first + limit);
  return { lines: slice.map((t, i) => ({ n: first + i + 1, t })), total: all.length };
}
