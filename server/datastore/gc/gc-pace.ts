/**
 * Pacing for garbage collection's tight loops. GC does its per-chunk file-system calls
 * synchronously: on tmpfs a sync lstat or utimes costs 2-4 us, the same call through the
 * thread pool 15-30 us, and async readdir of the 65,536 chunk directories takes ten times as long
 * as readdirSync (bench/gc.ts, docs/benchmarks.md). But a process that never returns to the
 * event loop loses its locks (the holder heartbeat, locks.ts) and never sees an abort request
 * (SIGTERM arrives as an event). So the loops run in slices of about 25 ms and give the event
 * loop a turn in between, checking for abort each time.
 */
import { setImmediate as yieldToEventLoop } from "node:timers/promises";

import { CofferError } from "../model/errors";

/** The text PBS ends an aborted task with (the task runner uses the same). */
export const GC_ABORT_MESSAGE = "abort requested - aborting task";

const SLICE_MS = 25;
/** performance.now() is looked at only every this many units of work. */
const CHECK_EVERY = 256;

export class GcPacer {
  private lastYield = performance.now();
  private ops = 0;

  constructor(private readonly signal: AbortSignal | undefined) {}

  /** Throws CofferError ABORTED once the signal fired. */
  checkAbort(): void {
    if (this.signal?.aborted) throw abortError(this.signal);
  }

  /** Counts one unit of synchronous work; true when the slice is used up (then call `pause`). */
  due(): boolean {
    if (++this.ops % CHECK_EVERY !== 0) return false;
    return performance.now() - this.lastYield >= SLICE_MS;
  }

  /** Gives the event loop a turn (lock heartbeats, signals), then checks for abort. */
  async pause(): Promise<void> {
    await yieldToEventLoop();
    this.lastYield = performance.now();
    this.checkAbort();
  }
}

/** The signal's reason when it is already the task's abort error, else the same error anew. */
export function abortError(signal: AbortSignal): CofferError {
  const reason: unknown = signal.reason;
  if (reason instanceof CofferError && reason.code === "ABORTED") return reason;
  return new CofferError("ABORTED", GC_ABORT_MESSAGE, { cause: reason });
}

export function isAbortError(err: unknown): boolean {
  return err instanceof CofferError && err.code === "ABORTED";
}
