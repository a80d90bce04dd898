/**
 * A backup as an all-or-nothing transaction of jobs: one snapshot, one job per archive, run one
 * after another (never at once, so one source is read at a time and each job's rate limit is
 * its own). The snapshot writer (snapshot-writer.ts) takes PBS's writer locks for the whole
 * run: the group exclusively (owner check, time strictly newer than the last finished
 * snapshot), the previous finished snapshot shared (it is the base: its chunks are reused and
 * it cannot be pruned meanwhile), the new snapshot exclusively, and a writer registration so
 * GC's oldest-writer rule protects the new chunks. The caller opens the datastore for `write`,
 * so maintenance modes refuse a backup and a running one counts as a write operation.
 *
 * Transaction: the manifest is written last, after every job succeeded. A failed job or an
 * abort removes the new snapshot directory (the error names the job); a killed process leaves
 * an unfinished snapshot (no manifest), which listings mark and which is never a base. The
 * previous snapshot is never changed.
 *
 * Incremental: chunks the base references are not written again (known chunks), chunks already
 * in the store are only touched, and an archive whose source provably did not change since the
 * base (change-detection.ts) is taken over without reading the source at all.
 */
import { constants } from "node:fs";
import { open, readFile } from "node:fs/promises";
import path from "node:path";
import { CofferError, errorMessage, withContext } from "../model/errors";
import { checkChunkSize, DEFAULT_DIRECTORY_CHUNK_SIZE, DEFAULT_IMAGE_CHUNK_SIZE } from "./chunk-size";
import type { BackupManifest } from "../format/manifest";
import { nullLog, type EngineLog } from "../model/log";
import { formatBackupTime, type BackupNamespace, type GroupRef, type SnapshotRef } from "../model/names";
import { compressionLevel } from "../../config/datastore-config";
import { zstdBuildName } from "../format/blob-encoder.mjs";
import { storeOf, type WriteHandle } from "../open";
import { type ArchiveStats, SnapshotWriter } from "./snapshot-writer";
import { type ArchiveKind, type ArchiveSpec, checkDistinct, checkSource } from "./archive-spec";
import {
  CHANGE_DETECTION_KEY,
  CHANGE_DETECTION_VERSION,
  fileRecord,
  imageUnchanged,
  isRacy,
  nowNs,
  previousRecord,
  sameFileStats,
  type SourceRecord,
  treeUnchanged,
} from "./change-detection";
import { ChunkHasher, defaultHashThreads, hashInOrder } from "./chunk-hasher";
import { encodeTree, scanTree } from "./dir-stream";
import { chunkText, humanSize, JobProgress, rateText } from "./progress";
import { RateLimiter } from "./rate-limit";
import { contentChunks, fixedChunks } from "./sources";

/** Below this many bytes a job hashes on the main thread: starting threads would cost more. */
const THREADED_HASHING_MIN_BYTES = 16 * 1024 * 1024;

export interface BackupOptions {
  /** Who backs up: owner of a new group, checked against an existing group's owner. */
  authId: string;
  /** Epoch seconds; default now. */
  backupTime?: number;
  /** Per-job read limit in bytes per second; undefined: unlimited. */
  rate?: number;
  /** Take over archives whose sources did not change (default true). */
  changeDetection?: boolean;
  /**
   * PBS's `--chunk-size`: the chunk size of image archives and the average chunk size of
   * directory archives, a power of two from 64 KiB to 4 MiB (chunk-size.ts). Default: 4 MiB for
   * images, DEFAULT_DIRECTORY_CHUNK_SIZE for directories.
   */
  chunkSize?: number;
  /** Hashing threads for large jobs (default one per core). */
  hashThreads?: number;
  /** Milliseconds between a job's progress lines (default 5000). */
  progressIntervalMs?: number;
  log?: EngineLog;
  signal?: AbortSignal;
  notes?: string;
  /** For tests: runs before job `index` (0-based) starts, e.g. to make its source vanish. */
  hooks?: { beforeJob?: (index: number, spec: ArchiveSpec) => Promise<void> };
  /**
   * For tests: the clock (epoch ns) that dates the start of a read for the racy-source rule
   * (change-detection.ts). A test that wants its fresh sources trusted runs the clock ahead
   * instead of sleeping until they are old enough.
   */
  clockNs?: () => bigint;
}

export interface JobResult {
  archive: string;
  filename: string;
  kind: ArchiveKind;
  source: string;
  /** Taken over from the previous snapshot without reading the source. */
  unchanged: boolean;
  /** Archive size (image/stream bytes; blob: the file's size). */
  size: number;
  chunks: number;
  newChunks: number;
  reusedChunks: number;
  /** Bytes of new chunk files (and blob files) written. */
  writtenBytes: number;
  seconds: number;
}

export interface BackupResult {
  snapshot: SnapshotRef;
  /** Time of the base snapshot, if there was one. */
  previous?: number;
  jobs: JobResult[];
  seconds: number;
}

interface JobContext {
  writer: SnapshotWriter;
  base: BackupManifest | undefined;
  opts: BackupOptions;
  log: EngineLog;
  label: string;
  hasher(bytes: number): ChunkHasher;
}

/** What one job leaves: its stats and, when change detection may trust it, its source record. */
interface JobOutcome {
  stats: ArchiveStats;
  unchanged: boolean;
  record?: SourceRecord;
}

/**
 * Backs up `specs` into a new snapshot of `group` in `ns`; resolves once the snapshot is
 * finished. See the module comment for the locks, the transaction and the incremental rules.
 * Errors: the writer's lock, owner and time errors as they are; a failed job as
 * `backup job i/n '<archive>' from '<path>' failed: <cause>`; an abort as the abort error.
 */
export async function runBackup(
  handle: WriteHandle,
  ns: BackupNamespace,
  group: GroupRef,
  specs: readonly ArchiveSpec[],
  opts: BackupOptions,
): Promise<BackupResult> {
  storeOf(handle); // a write operation: refused on anything but a write handle, before it reads
  const log = opts.log ?? nullLog;
  const started = performance.now();
  checkDistinct(specs);
  if (opts.chunkSize !== undefined) checkChunkSize(opts.chunkSize);
  opts.signal?.throwIfAborted();
  const level = compressionLevel(handle.config);
  // Asked before the snapshot is begun: a COFFER_ZSTD that cannot be honoured fails here.
  const zstd = level > 0 ? zstdBuildName() : undefined;
  const writer = await SnapshotWriter.begin(handle, ns, group, { authId: opts.authId, backupTime: opts.backupTime, log, level });
  log.info(zstd ? `compression: zstd level ${level} (${zstd})` : "compression: none (the datastore's setting)");
  let pool: ChunkHasher | undefined;
  const jobs: JobResult[] = [];
  try {
    const known = await writer.useKnownChunks();
    // Chunks the previous snapshot has are not written, so they are not compressed either
    // (PBS's client skips known chunks before it encodes them).
    // Chunks already in the store (from another group) are not compressed again either.
    const hasherOpts = { level, known: writer.knownDigests, chunkDir: localChunkDir(handle) };
    const inline = ChunkHasher.start(0, hasherOpts);
    if (known.used) log.info(`incremental: ${known.chunks} chunks known from the previous snapshot are not written again`);
    else if (writer.previous !== undefined) log.warn(`previous snapshot not used as base: ${known.reason}`);
    const base = known.used ? await writer.baseManifest() : undefined;
    const records: Record<string, SourceRecord> = {};
    for (const [i, spec] of specs.entries()) {
      const label = `job ${i + 1}/${specs.length} '${spec.archive}'`;
      const ctx: JobContext = {
        writer,
        base: opts.changeDetection === false ? undefined : base,
        opts,
        log,
        label,
        hasher: (bytes) => {
          if (bytes < THREADED_HASHING_MIN_BYTES) return inline;
          pool ??= ChunkHasher.start(opts.hashThreads ?? defaultHashThreads(), hasherOpts);
          return pool;
        },
      };
      const jobStart = performance.now();
      let outcome: JobOutcome;
      try {
        opts.signal?.throwIfAborted();
        await opts.hooks?.beforeJob?.(i, spec);
        log.info(`${label}: ${spec.kind} of '${spec.path}' -> ${spec.filename}`);
        outcome = await runJob(ctx, spec);
      } catch (err) {
        if (opts.signal?.aborted) {
          log.info(`${label}: aborted`);
          throw opts.signal.reason;
        }
        throw withContext(`backup job ${i + 1}/${specs.length} '${spec.archive}' from '${spec.path}' failed`, err);
      }
      const seconds = (performance.now() - jobStart) / 1000;
      const s = outcome.stats;
      const result: JobResult = {
        archive: spec.archive,
        filename: spec.filename,
        kind: spec.kind,
        source: spec.path,
        unchanged: outcome.unchanged,
        size: s.size,
        chunks: s.chunks,
        newChunks: s.chunks - s.reusedChunks,
        reusedChunks: s.reusedChunks,
        writtenBytes: s.writtenBytes,
        seconds,
      };
      jobs.push(result);
      if (outcome.record) records[spec.filename] = outcome.record;
      log.info(
        outcome.unchanged
          ? `${label}: done, unchanged since the previous snapshot: ${humanSize(s.size)} in ${s.chunks} chunks taken over, nothing read (${seconds.toFixed(2)} s)`
          : `${label}: done, ${humanSize(s.size)} in ${chunkText(s)}, ${humanSize(s.writtenBytes)} written, ${seconds.toFixed(2)} s, ${rateText(s.size, seconds)}`,
      );
    }
    opts.signal?.throwIfAborted();
    const snapshot = await writer.finish({
      notes: opts.notes,
      unprotected: { [CHANGE_DETECTION_KEY]: { version: CHANGE_DETECTION_VERSION, archives: records } },
    });
    return { snapshot, previous: writer.previous, jobs, seconds: (performance.now() - started) / 1000 };
  } catch (err) {
    await writer.abort(err);
    throw err;
  } finally {
    await pool?.close();
  }
}

function runJob(ctx: JobContext, spec: ArchiveSpec): Promise<JobOutcome> {
  switch (spec.kind) {
    case "image":
      return imageJob(ctx, spec);
    case "directory":
      return directoryJob(ctx, spec);
    case "blob":
      return blobJob(ctx, spec);
  }
}

async function imageJob(ctx: JobContext, spec: ArchiveSpec): Promise<JobOutcome> {
  const { writer, opts, log, label } = ctx;
  const chunkSize = opts.chunkSize ?? DEFAULT_IMAGE_CHUNK_SIZE;
  await checkSource(spec);
  const fh = await open(spec.path, constants.O_RDONLY);
  try {
    const before = await fh.stat({ bigint: true });
    const isFile = before.isFile();
    if (!isFile && !before.isBlockDevice()) {
      throw new CofferError("CONFLICT", `'${spec.path}' is no longer a regular file or block device`);
    }
    if (isFile && imageUnchanged(previousRecord(ctx.base, spec.filename), spec.path, chunkSize, before)) {
      log.info(`${label}: size, mtime, ctime, inode and device unchanged since ${formatBackupTime(writer.previous!)}`);
      return { stats: await writer.reuseArchive(spec.filename), unchanged: true, record: fileRecord(spec.path, chunkSize, before) };
    }
    if (!isFile) log.info(`${label}: block device: read in full (change detection needs a dirty map for devices)`);
    const size = isFile ? Number(before.size) : undefined;
    const readStart = (opts.clockNs ?? nowNs)();
    const progress = new JobProgress(log, label, size, opts.progressIntervalMs ?? 5000);
    const limiter = new RateLimiter(opts.rate);
    const chunks = fixedChunks(fh, size, chunkSize, `'${spec.path}'`, { limiter, signal: opts.signal });
    const stats = await writer.writeFixedPrepared(spec.archive, hashInOrder(ctx.hasher(size ?? Infinity), chunks), {
      chunkSize,
      signal: opts.signal,
      onChunk: (s) => progress.update(s),
    });
    if (!isFile) return { stats, unchanged: false };
    const after = await fh.stat({ bigint: true });
    if (!sameFileStats(before, after)) {
      log.warn(`${label}: '${spec.path}' changed while it was read; it will be read in full next time`);
      return { stats, unchanged: false };
    }
    const newest = before.ctimeNs > before.mtimeNs ? before.ctimeNs : before.mtimeNs;
    if (isRacy(newest, readStart)) {
      log.info(`${label}: '${spec.path}' was modified less than 2 s before it was read; it will be read in full next time`);
      return { stats, unchanged: false };
    }
    return { stats, unchanged: false, record: fileRecord(spec.path, chunkSize, before) };
  } finally {
    await fh.close();
  }
}

async function directoryJob(ctx: JobContext, spec: ArchiveSpec): Promise<JobOutcome> {
  const { writer, opts, log, label } = ctx;
  await checkSource(spec);
  const readStart = (opts.clockNs ?? nowNs)();
  const scan = await scanTree(spec.path);
  for (const s of scan.skipped) log.info(`${label}: skipped ${s}`);
  const record = { kind: "directory" as const, path: spec.path, digest: scan.digest, entries: scan.entries.length };
  if (treeUnchanged(previousRecord(ctx.base, spec.filename), spec.path, scan.digest, scan.entries.length)) {
    log.info(`${label}: none of ${scan.entries.length} entries changed since ${formatBackupTime(writer.previous!)}`);
    return { stats: await writer.reuseArchive(spec.filename), unchanged: true, record };
  }
  log.info(`${label}: ${scan.entries.length} entries, ${humanSize(scan.fileBytes)} of file data`);
  let changed = false;
  const progress = new JobProgress(log, label, undefined, opts.progressIntervalMs ?? 5000);
  const limiter = new RateLimiter(opts.rate);
  const stream = encodeTree(scan, { limiter, signal: opts.signal, log, onChanged: () => (changed = true) });
  const stats = await writer.writeDynamicPrepared(spec.archive, hashInOrder(ctx.hasher(scan.fileBytes), contentChunks(stream, opts.chunkSize ?? DEFAULT_DIRECTORY_CHUNK_SIZE)), {
    signal: opts.signal,
    onChunk: (s) => progress.update(s),
  });
  if (changed) return { stats, unchanged: false };
  if (isRacy(scan.newestCtime, readStart)) {
    log.info(`${label}: entries were modified less than 2 s before the scan; the tree will be read in full next time`);
    return { stats, unchanged: false };
  }
  return { stats, unchanged: false, record };
}

async function blobJob(ctx: JobContext, spec: ArchiveSpec): Promise<JobOutcome> {
  await checkSource(spec);
  const limiter = new RateLimiter(ctx.opts.rate);
  let data: Buffer;
  try {
    data = await readFile(spec.path, { signal: ctx.opts.signal });
  } catch (err) {
    throw new CofferError("INTERNAL", `unable to read '${spec.path}': ${errorMessage(err)}`, { cause: err });
  }
  await limiter.take(data.length, ctx.opts.signal);
  return { stats: await ctx.writer.writeBlob(spec.archive, data), unchanged: false };
}

/** The store's local chunk directory (a remote store's cache), where the hashing threads look. */
function localChunkDir(handle: WriteHandle): string {
  const anyChunk = storeOf(handle).backend.chunks.chunkFileForWorkers(new Uint8Array(32));
  return path.dirname(path.dirname(anyChunk));
}
