/**
 * GC phase 2, sweep (reference 5.3, file-system backend): every chunk file in `.chunks/0000` ..
 * `.chunks/ffff` is classified by its atime. Older than `minAtime`: nobody marked it and no
 * writer can still want it, so it is removed. Older than the oldest running writer's start:
 * pending (kept; a later run removes it). Otherwise: in use. `<digest>.<n>.bad` files (verify's
 * renamed corrupt chunks) age out the same way and are counted apart.
 *
 * Only names that are chunks are stat'ed; everything else (temp files of inserts in progress,
 * `.tmp_XXXXXX`) is left alone. Synchronous and paced, see gc-pace.ts.
 */
import { lstatSync, readdirSync, renameSync, unlinkSync } from "node:fs";

import { CofferError, errorMessage, isErrno } from "../model/errors";
import type { GcPacer } from "./gc-pace";
import type { GcStatus } from "./gc-status";
import type { EngineLog } from "../model/log";

const PREFIX_COUNT = 0x10000;
const CHUNK_NAME_RE = /^[0-9a-f]{64}$/;
const BAD_CHUNK_NAME_RE = /^[0-9a-f]{64}\.[0-9]\.bad$/;

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

export async function sweepUnusedChunks(chunkDir: string, opts: SweepOptions): Promise<void> {
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
      const sub = i.toString(16).padStart(4, "0");
      const dir = `${chunkDir}/${sub}`;
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch (err) {
        if (isErrno(err, "ENOENT")) continue; // a missing prefix directory is fine (PBS)
        throw new CofferError(
          "INTERNAL",
          `chunk iterator on chunk store '${opts.storeName}' failed - unable to read subdir '${sub}' - ${errorMessage(err)}`,
          { cause: err },
        );
      }
      for (const name of names) {
        const bad = name.length !== 64;
        if (bad ? !BAD_CHUNK_NAME_RE.test(name) : !CHUNK_NAME_RE.test(name)) continue;
        const file = `${dir}/${name}`;
        const st = lstatSync(file, { throwIfNoEntry: false });
        if (st === undefined || !st.isFile()) continue;
        chunkCount++;
        const atime = Math.floor(st.atimeMs / 1000);
        const size = st.size;
        if (atime < minAtime) {
          try {
            if (!bad && !removeUnlessTouched(file, minAtime)) {
              // A writer reused it between our lstat and now: it is in use after all.
              diskChunks++;
              diskBytes += size;
              if (pacer.due()) await pacer.pause();
              continue;
            }
            if (bad) unlinkSync(file);
          } catch (err) {
            // Verify may have renamed it to .bad meanwhile: then it is not ours to count.
            if (isErrno(err, "ENOENT")) continue;
            if (bad) stillBad++;
            throw new CofferError(
              "INTERNAL",
              `unlinking chunk ${JSON.stringify(name)} failed on store '${opts.storeName}' - ${errorMessage(err)}`,
              { cause: err },
            );
          }
          if (bad) removedBad++;
          else removedChunks++;
          removedBytes += size;
        } else if (atime < oldestWriter) {
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

/**
 * Removes an unused chunk unless a backup writer (another process) touched it after our lstat:
 * the writer found it existing and only refreshed its atime, so its new index will point at it.
 * PBS closes this race with a chunk-store mutex inside its one daemon; across processes the
 * chunk is first renamed aside (a writer touching the old name now gets ENOENT and writes the
 * chunk anew), then its atime is read again: touched meanwhile means it goes back.
 * Returns true when the chunk was removed.
 */
export function removeUnlessTouched(file: string, minAtime: number): boolean {
  const aside = `${file}.tmp_gc`;
  renameSync(file, aside);
  const st = lstatSync(aside);
  if (Math.floor(st.atimeMs / 1000) >= minAtime) {
    renameSync(aside, file);
    return false;
  }
  unlinkSync(aside);
  return true;
}
