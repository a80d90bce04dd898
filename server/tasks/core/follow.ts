/**
 * Following a task log live: the lines already there, then new ones as the task appends them,
 * until the final `TASK ...` line or until the task's process is gone (a killed task never
 * writes one). Woken by fs.watch, with a short poll as the fallback (inotify can miss events on
 * some file systems, and a watch cannot be set before the file exists). The console wraps
 * `taskLogLines` in a tRPC subscription; the CLI uses `followTaskLog`.
 */
import { watch, type FSWatcher } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { StringDecoder } from "node:string_decoder";

import { CofferError, isErrno } from "../../datastore/model/errors";
import { isProcessAlive } from "../../platform/process";
import { FINAL_LINE_GRACE_MS } from "./task-status";
import { isFinalLine, taskLogPath, type TaskLogLine } from "./task-log";
import { parseUpid } from "./upid";

export interface FollowOptions {
  /** Stops following (the iteration just ends). */
  signal?: AbortSignal;
  /** First line number wanted (1-based; 0 and 1 both mean the first line). */
  start?: number;
  /** Poll period when no change event arrives. Default 250 ms. */
  pollMs?: number;
  /**
   * Called each time the lines written so far have all been yielded, before the follower waits
   * for more (and once when it stops): a printer writes what it gathered in one go then.
   */
  onCaughtUp?: () => void;
}

/**
 * The log's lines as an async iterator. Ends after the final line, when the task's process is
 * gone (after reading what it wrote), or when `signal` aborts. Throws NOT_FOUND when the task
 * has no log and no live process.
 */
export async function* taskLogLines(upid: string, opts: FollowOptions = {}): AsyncGenerator<TaskLogLine, void, undefined> {
  const u = parseUpid(upid);
  const file = taskLogPath(upid);
  const start = opts.start ?? 0;
  const wake = new Waker(opts.pollMs ?? 250, opts.signal);
  let fh: FileHandle | undefined;
  const decoder = new StringDecoder("utf8");
  const buf = Buffer.alloc(64 * 1024);
  let pos = 0;
  let partial = "";
  let n = 0;
  let graceUsed = false;
  try {
    for (;;) {
      if (opts.signal?.aborted) return;
      // Check the process BEFORE reading: if it is gone now, the read below sees all it wrote.
      const gone = !isProcessAlive(u.pid, u.pstart);
      if (!fh) {
        try {
          fh = await open(file, "r");
        } catch (err) {
          if (!isErrno(err, "ENOENT")) throw err;
          if (gone) throw new CofferError("NOT_FOUND", `no log for task '${upid}'`);
          await wake.wait();
          continue;
        }
      }
      // Armed before reading, so that a line written while we read still wakes us.
      wake.watch(file);
      let sawFinal = false;
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
        if (bytesRead === 0) break;
        pos += bytesRead;
        partial += decoder.write(buf.subarray(0, bytesRead));
        let nl: number;
        while ((nl = partial.indexOf("\n")) >= 0) {
          const t = partial.slice(0, nl);
          partial = partial.slice(nl + 1);
          n++;
          if (isFinalLine(t)) sawFinal = true;
          if (n >= start) yield { n, t };
          if (opts.signal?.aborted) return;
        }
      }
      if (sawFinal) return;
      if (gone && !graceUsed) {
        // One more read after a short pause, as taskStatus does, before calling it ended.
        graceUsed = true;
        opts.onCaughtUp?.();
        await new Promise((r) => setTimeout(r, FINAL_LINE_GRACE_MS));
        continue;
      }
      if (gone) {
        // A process killed in the middle of a write can leave a line without its newline.
        partial += decoder.end();
        if (partial !== "" && ++n >= start) yield { n, t: partial };
        return;
      }
      opts.onCaughtUp?.();
      await wake.wait();
    }
  } finally {
    wake.close();
    await fh?.close();
    opts.onCaughtUp?.();
  }
}

/**
 * Calls `onLine` for every line (see taskLogLines). Resolves `{ ended: true }` when the task
 * ended (final line or process gone), `{ ended: false }` when `signal` stopped the following.
 */
export async function followTaskLog(
  upid: string,
  onLine: (line: TaskLogLine) => void,
  opts: FollowOptions = {},
): Promise<{ ended: boolean }> {
  for await (const line of taskLogLines(upid, opts)) onLine(line);
  return { ended: !opts.signal?.aborted };
}

/**
 * How long a change event waits before it wakes the reader: a task that writes many lines in a
 * burst (a namespace move logs two per group) then costs the follower one read per burst
 * instead of one per line, which it would take from the task on a busy machine.
 */
const COALESCE_MS = 20;

/**
 * Resolves `wait()` on a change of the watched file (COALESCE_MS later), after `pollMs`, or on
 * abort. The first change event also drops the watch until the reader arms it again (`watch`,
 * before its next read): every event wakes the follower's process, and a woken follower at a
 * normal priority preempts the task (nice 10) in the middle of its write. With a watch kept,
 * a task writing a line every 0.25 ms paid ~25 us per line for the CLI following it (a fifth of
 * a namespace move's time); with it dropped, one wake-up per burst.
 */
class Waker {
  private watcher: FSWatcher | undefined;
  private pending: (() => void) | undefined;
  private changed = false;
  private coalescing: NodeJS.Timeout | undefined;
  private readonly onAbort = () => this.fire();

  constructor(
    private readonly pollMs: number,
    private readonly signal: AbortSignal | undefined,
  ) {
    signal?.addEventListener("abort", this.onAbort);
  }

  watch(file: string): void {
    if (this.watcher) return;
    try {
      this.watcher = watch(file, { persistent: false }, () => this.changedSoon());
      this.watcher.on("error", () => this.closeWatcher()); // the poll carries on alone
    } catch {
      // no inotify here (or out of watches): polling alone still works
    }
  }

  wait(): Promise<void> {
    if (this.changed || this.signal?.aborted) {
      this.changed = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.fire(), this.pollMs);
      this.pending = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private changedSoon(): void {
    this.closeWatcher();
    if (this.coalescing) return;
    this.coalescing = setTimeout(() => {
      this.coalescing = undefined;
      this.fire();
    }, COALESCE_MS);
  }

  private fire(): void {
    const p = this.pending;
    this.pending = undefined;
    if (p) p();
    else this.changed = true; // a change between two waits must not be lost
  }

  private closeWatcher(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  close(): void {
    clearTimeout(this.coalescing);
    this.coalescing = undefined;
    this.closeWatcher();
    this.signal?.removeEventListener("abort", this.onAbort);
    this.fire();
  }
}
