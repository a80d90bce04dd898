/**
 * The per-job rate limit (`--rate` MiB/s): a job may read no faster than the rate on average
 * since it started. Before each read the job asks for the bytes it is about to read and waits
 * until the average allows them, so the limit holds over any stretch longer than one read
 * (one chunk, at most 4 MiB) whatever the source's own speed.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { CofferError } from "../model/errors";

export class RateLimiter {
  private readonly start = performance.now();
  private granted = 0;

  /** `bytesPerSecond` undefined: no limit. */
  constructor(readonly bytesPerSecond: number | undefined) {
    if (bytesPerSecond !== undefined && !(bytesPerSecond > 0 && Number.isFinite(bytesPerSecond))) {
      throw new CofferError("BAD_REQUEST", `invalid rate ${bytesPerSecond}: expected a positive number of bytes per second`);
    }
  }

  /** Waits until `bytes` more may be read; rejects when `signal` aborts meanwhile. */
  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.bytesPerSecond === undefined) return;
    // The first read is free: the limit applies to the average, which needs a start.
    const due = (this.granted / this.bytesPerSecond) * 1000;
    this.granted += bytes;
    const wait = due - (performance.now() - this.start);
    if (wait > 1) await sleep(wait, undefined, { signal });
  }
}

export const MIB = 1024 * 1024;
