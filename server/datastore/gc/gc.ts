/**
 * Garbage collection of a datastore's chunk store, as PBS 4.2 does it (reference 5): mark every
 * chunk an index references by setting its atime (gc-mark.ts), then remove the chunks whose
 * atime is older than the cutoff (gc-sweep.ts), and leave a summary in the task log and in
 * `<base>/.gc-status` (gc-status.ts).
 *
 * Concurrency (DESIGN.md 5): GC runs beside backups and is never blocked by them. Backup writers
 * register in the writer registry (writers.ts, Coffer's stand-in for PBS's ProcessLocker); the
 * oldest running writer's start extends the cutoff, so chunks a writer inserted or touched but
 * no index references yet survive. Prunes during phase 1 are covered by the per-group retry,
 * moves by the move journal drained at the end of phase 1.
 */
import path from "node:path";
import { crc32 } from "node:zlib";

import { listDatastoreConfigs } from "../../config/datastore-config";
import { CofferError, errorMessage, withContext } from "../model/errors";
import { COMPRESSED_BLOB_MAGIC, sha256 } from "../format/blob";
import { markUsedChunks } from "./gc-mark";
import { abortError, GcPacer, isAbortError } from "./gc-pace";
import { emptyGcStatus, gcSummaryLines, type GcStatus, timeSpan, writeGcStatus } from "./gc-status";
import { sweepUnusedChunks } from "./gc-sweep";
import { sweepStrayContent } from "./gc-s3-content";
import { lockGc } from "../locking/locks";
import type { EngineLog } from "../model/log";
import type { BackupNamespace } from "../model/names";
import type { Store } from "../storage/store";
import { storeOf, type WriteHandle } from "../open";
import { oldestWriterStart } from "../state/writers";

export { readGcStatus, type GcStatus } from "./gc-status";

/** Tuning `gc-atime-cutoff` default: 24 h 5 min (PBS), in minutes. */
export const DEFAULT_GC_ATIME_CUTOFF_MINUTES = 1445;
/** Tuning `gc-cache-capacity`: default and maximum number of digests (PBS). */
export const DEFAULT_GC_CACHE_CAPACITY = 1024 * 1024;
export const MAX_GC_CACHE_CAPACITY = 8 * 1024 * 1024;
/** Gap kept before the oldest writer's start (PBS: 5 min). */
const WRITER_SAFETY_GAP_S = 300;

export interface GcOptions {
  /** The task's UPID, recorded in `.gc-status`. */
  upid: string;
  log: EngineLog;
  /** Abort: the GC ends with CofferError ABORTED `abort requested - aborting task`. */
  signal?: AbortSignal;
  /** Tuning `gc-atime-cutoff` in minutes, 1..2880 (default 1445). */
  cutoffMinutes?: number;
  /** Tuning `gc-cache-capacity`, 0..8388608 (default 1048576; 0 disables the cache). */
  cacheCapacity?: number;
  /**
   * Skips the atime safety check and its one-second sleep. For tests that run GC many times,
   * and for the benchmark (the check's cost does not depend on the store); never for real
   * runs, where it is what detects a file system that ignores atime updates.
   */
  skipAtimeCheck?: boolean;
  /**
   * S3: how much older than this GC's start a content object without a cache file must be to be
   * removed as stray (default 2 s, for whole-second object times and clock skew; the lock and
   * the second look protect what is in flight either way; Swift rounds Last-Modified up to the
   * next second). Tests that check the sweep pass a negative age, so that only those decide.
   */
  strayMinAgeMs?: number;
  hooks?: {
    /** Runs in phase 1 after the index files were listed, before the hierarchy is walked. */
    afterIndexList?: () => Promise<void>;
    /**
     * Runs in phase 1 before the groups of each namespace are walked (pre-order from the root),
     * so a test can move a snapshot out of a namespace not walked yet into one already walked.
     */
    beforeNamespace?: (ns: BackupNamespace) => Promise<void>;
  };
}

export interface GcCutoff {
  /** Seconds. */
  cutoff: number;
  /** Epoch seconds: chunks accessed before this are removed. */
  minAtime: number;
  /** The oldest writer started before `phase1Start - cutoff`, so minAtime was moved back. */
  extended: boolean;
}

/**
 * PBS's cutoff math: `minAtime = phase1Start - cutoff`; when the oldest running writer started
 * before that, `minAtime = oldestWriter - 300` so that nothing it touched is removed.
 */
export function gcCutoff(phase1Start: number, oldestWriter: number, cutoffMinutes?: number): GcCutoff {
  const cutoff = cutoffMinutes === undefined ? 86400 + 300 : cutoffMinutes * 60;
  const minAtime = phase1Start - cutoff;
  if (oldestWriter < minAtime) return { cutoff, minAtime: oldestWriter - WRITER_SAFETY_GAP_S, extended: true };
  return { cutoff, minAtime, extended: false };
}

/**
 * Runs one garbage collection on `store` (file-system backend) and returns its status.
 *
 * Locks: the datastore's exclusive GC lock for the whole run, not waiting (a second GC fails
 * with `Start GC failed - (already running/locked)`); losing it midway aborts the run. The
 * group lock of a group whose newest snapshot vanished ten times in a row; the move journal's
 * lock while draining it. Nothing else: backups, moves and prunes go on beside it.
 */
export async function garbageCollection(ds: WriteHandle, opts: GcOptions): Promise<GcStatus> {
  const store = storeOf(ds);
  const cutoffMinutes = opts.cutoffMinutes;
  if (cutoffMinutes !== undefined && (!Number.isInteger(cutoffMinutes) || cutoffMinutes < 1 || cutoffMinutes > 2880)) {
    throw new CofferError("BAD_REQUEST", `invalid gc-atime-cutoff ${cutoffMinutes}: expected whole minutes from 1 to 2880`);
  }
  const cacheCapacity = opts.cacheCapacity ?? DEFAULT_GC_CACHE_CAPACITY;
  if (!Number.isInteger(cacheCapacity) || cacheCapacity < 0 || cacheCapacity > MAX_GC_CACHE_CAPACITY) {
    throw new CofferError("BAD_REQUEST", `invalid gc-cache-capacity ${cacheCapacity}: expected 0 to ${MAX_GC_CACHE_CAPACITY}`);
  }
  const { log } = opts;
  const base = path.resolve(store.backend.base);

  const guard = await lockGc(store.name);
  try {
    const signal = opts.signal ? AbortSignal.any([opts.signal, guard.signal]) : guard.signal;
    const pacer = new GcPacer(signal);
    await refuseNestedDatastore(store.name, base);

    const startedAtMs = Date.now();
    const phase1Start = Math.floor(startedAtMs / 1000);
    // PBS: an S3 datastore's GC first checks that the bucket answers.
    await store.backend.chunks.checkReachable?.();
    const writerMs = await oldestWriterStart(store.name);
    const oldestWriter = writerMs === undefined ? phase1Start : Math.floor(writerMs / 1000);
    const status = emptyGcStatus(opts.upid);

    if (opts.skipAtimeCheck) {
      log.info("Access time update check skipped (test option), proceeding with GC.");
    } else {
      try {
        await checkFsAtimeUpdates(store, log, signal, true);
      } catch (err) {
        if (isAbortError(err)) throw err;
        throw withContext("atime safety check failed", err);
      }
      log.info("Access time update check successful, proceeding with GC.");
    }

    const { cutoff, minAtime, extended } = gcCutoff(phase1Start, oldestWriter, cutoffMinutes);
    log.info(`Using access time cutoff ${timeSpan(cutoff)}, minimum access time is ${rfc3339(phase1Start - cutoff)}`);
    if (extended) {
      log.info(`Oldest backup writer started at ${rfc3339(oldestWriter)}, extending minimum access time to ${rfc3339(minAtime)}`);
    }
    if (opts.cacheCapacity !== undefined) log.info(`Using chunk digest cache capacity of ${cacheCapacity}.`);

    log.info("Start GC phase1 (mark used chunks)");
    await markUsedChunks(store, { log, pacer, status, cacheCapacity, ...opts.hooks });

    log.info("Start GC phase2 (sweep unused chunks)");
    await sweepUnusedChunks(store.backend.chunks, { storeName: store.name, minAtime, oldestWriter, status, log, pacer });

    if (store.backend.kind === "s3") {
      log.info("Start GC phase3 (sweep stray content objects)");
      await sweepStrayContent(store, startedAtMs - (opts.strayMinAgeMs ?? 2000), log, signal);
    }

    for (const line of gcSummaryLines(status)) log.info(line);
    try {
      await writeGcStatus(store, status);
    } catch (err) {
      // PBS ignores this error; a warning at least tells the admin why `gc status` is stale.
      log.warn(`unable to save GC status - ${errorMessage(err)}`);
    }
    return status;
  } finally {
    await guard.release();
  }
}

/** PBS `ensure_not_nested`: GC on a datastore inside another (or around one) is unsafe. */
async function refuseNestedDatastore(name: string, base: string): Promise<void> {
  for (const other of await listDatastoreConfigs()) {
    if (other.name === name) continue;
    const a = path.relative(base, other.path);
    const b = path.relative(other.path, base);
    const inside = (r: string) => r === "" || (!r.startsWith("..") && !path.isAbsolute(r));
    if (inside(a) || inside(b)) {
      throw new CofferError(
        "INTERNAL",
        `Aborting GC for safety reasons: datastore '${name}' at ${JSON.stringify(base)} is nested with datastore '${other.name}' at ${JSON.stringify(other.path)}`,
      );
    }
  }
}

function rfc3339(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

// ---------------------------------------------------------------------------------------------
// The atime safety check (PBS check_fs_atime_updates).

const ZERO_CHUNK_SIZE = 4 * 1024 * 1024;
let zeroChunkCache: { digest: Buffer; blob: Buffer } | undefined;

/**
 * PBS's test chunk: 4 MiB of zeros, zstd-compressed, unencrypted. Built by hand, not by the
 * encoder, so that it is the same bytes whatever the zstd version: a frame (single segment,
 * 4-byte content size) of 32 RLE blocks of 128 KiB, as an encoder may emit it. 149 bytes on disk.
 */
export function zeroChunk(): { digest: Buffer; blob: Buffer } {
  if (zeroChunkCache) return zeroChunkCache;
  const block = 128 * 1024;
  const blocks = ZERO_CHUNK_SIZE / block;
  const frame = Buffer.alloc(4 + 1 + 4 + blocks * 4);
  let o = frame.writeUInt32LE(0xfd2fb528, 0); // zstd magic
  o = frame.writeUInt8(0b1010_0000, o); // frame header: 4-byte content size, single segment
  o = frame.writeUInt32LE(ZERO_CHUNK_SIZE, o);
  for (let i = 0; i < blocks; i++) {
    const last = i === blocks - 1 ? 1 : 0;
    o = frame.writeUIntLE(last | (1 << 1) /* RLE */ | (block << 3), o, 3);
    o = frame.writeUInt8(0, o); // the repeated byte
  }
  const blob = Buffer.alloc(12 + frame.length);
  blob.set(COMPRESSED_BLOB_MAGIC, 0);
  blob.writeUInt32LE(crc32(frame), 8);
  frame.copy(blob, 12);
  zeroChunkCache = { digest: sha256(Buffer.alloc(ZERO_CHUNK_SIZE)), blob };
  return zeroChunkCache;
}

/**
 * Inserts the zero chunk, waits a second (timestamp granularity), touches it and checks that
 * its atime grew: a file system that ignores atime updates would let GC remove chunks in use.
 */
async function checkFsAtimeUpdates(store: Store, log: EngineLog, signal: AbortSignal, retryOnFileChanged: boolean): Promise<void> {
  const { digest, blob } = zeroChunk();
  const chunks = store.backend.chunks;
  const { exists: preExisting } = await chunks.insertChunk(digest, blob);
  const shown = JSON.stringify(store.backend.absolute(chunks.chunkPath(digest)));
  await sleep(1000, signal);
  const metadata = async (when: string) => {
    try {
      const times = await chunks.chunkTimes(digest);
      if (times === undefined) throw new CofferError("NOT_FOUND", "No such file or directory (os error 2)");
      return times;
    } catch (err) {
      throw withContext(`failed to get metadata for ${shown} ${when} atime update`, err);
    }
  };
  const before = await metadata("before");
  if (!(await chunks.touchChunk(digest))) {
    throw new CofferError("INTERNAL", `update atime failed for chunk/file ${shown} - ENOENT`);
  }
  const after = await metadata("after");
  if (before.identity !== after.identity) {
    if (retryOnFileChanged) return checkFsAtimeUpdates(store, log, signal, false);
    throw new CofferError("INTERNAL", `chunk ${shown} changed twice during access time safety check, cannot proceed.`);
  }
  if (before.atimeNs >= after.atimeNs) {
    const times = (s: typeof before) => `accessed ${s.atime.toISOString()}, modified ${s.mtime.toISOString()}, created ${s.birthtime.toISOString()}`;
    log.warn("Chunk metadata was not correctly updated during access time safety check:");
    log.info(`Timestamps before update: ${times(before)}`);
    log.info(`Timestamps after update: ${times(after)}`);
    throw new CofferError(
      "INTERNAL",
      `access time safety check using ${preExisting ? "pre-existing" : "newly inserted"} chunk failed, aborting GC!`,
    );
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortError(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
