/**
 * GC phase 2, sweep (reference 5.3, file-system backend): every chunk file in `.chunks/0000` ..
 * `.chunks/ffff` is classified by its atime. Older than `minAtime`: nobody marked it and no
 * writer can still want it, so it is removed. Older than the oldest running writer's start:
 * pending (kept; a later run removes it). Otherwise: in use. `<digest>.<n>.bad` files (verify's
 * renamed corrupt chunks) age out the same way and are counted apart.
 *
 * The file work goes through the chunk backend (storage/local-chunk-gc.ts for the local store);
 * this is the policy: what is removed, what is pending, what is counted.
 */
import type { ChunkBackend } from "../storage/backend";
import { CofferError, errorMessage, isErrno } from "../model/errors";
import type { GcPacer } from "./gc-pace";
import type { GcStatus } from "./gc-status";
import type { EngineLog } from "../model/log";

const PREFIX_COUNT = 0x10000;

export interface SweepOptions {
  /** Name of the datastore, for messages. */
  storeName: string;
  /** Epoch seconds: chunks accessed before this are removed. */
  minAtime: number;
  /** Epoch seconds: unremoved chunks accessed before this are pending. */
  oldestWriter: number;
  status: GcStatus;
  log: EngineLog;
  pacer: GcPacer;
}

export async function sweepUnusedChunks(chunks: ChunkBackend, opts: SweepOptions): Promise<void> {
  const { minAtime, oldestWriter, status, log, pacer } = opts;
  // Counted in locals: this loop runs for every chunk of the store.
  let removedBytes = 0;
  let removedChunks = 0;
  let removedBad = 0;
  let pendingBytes = 0;
  let pendingChunks = 0;
  let stillBad = 0;
  let diskBytes = 0;
  let diskChunks = 0;
  let chunkCount = 0;
  let lastPct = 0;
  try {
    for (let i = 0; i < PREFIX_COUNT; i++) {
      const pct = Math.floor((i * 100) / PREFIX_COUNT);
      if (pct !== lastPct) {
        lastPct = pct;
        log.info(`processed ${pct}% (${chunkCount} chunks)`);
      }
      const files = await chunks.listChunkBucket(i);
      if (files === undefined) continue;
      for (const file of files) {
        const { bad, size } = file;
        chunkCount++;
        if (file.atime < minAtime) {
          try {
            if (!(await chunks.removeUnusedChunk(file, minAtime))) {
              // A writer reused it between the listing and now: it is in use after all.
              diskChunks++;
              diskBytes += size;
              if (pacer.due()) await pacer.pause();
              continue;
            }
          } catch (err) {
            // Verify may have renamed it to .bad meanwhile: then it is not ours to count.
            if (isErrno(err, "ENOENT")) continue;
            if (bad) stillBad++;
            throw new CofferError(
              "INTERNAL",
              `unlinking chunk ${JSON.stringify(file.name)} failed on store '${opts.storeName}' - ${errorMessage(err)}`,
              { cause: err },
            );
          }
          if (bad) removedBad++;
          else removedChunks++;
          removedBytes += size;
        } else if (file.atime < oldestWriter) {
          if (bad) stillBad++;
          else pendingChunks++;
          pendingBytes += size;
        } else {
          if (!bad) diskChunks++;
          diskBytes += size;
        }
        if (pacer.due()) await pacer.pause();
      }
      if (pacer.due()) await pacer.pause();
    }
  } finally {
    // Also on an error or abort: the status then says how far the sweep got.
    status["removed-bytes"] += removedBytes;
    status["removed-chunks"] += removedChunks;
    status["removed-bad"] += removedBad;
    status["pending-bytes"] += pendingBytes;
    status["pending-chunks"] += pendingChunks;
    status["still-bad"] += stillBad;
    status["disk-bytes"] += diskBytes;
    status["disk-chunks"] += diskChunks;
  }
}
