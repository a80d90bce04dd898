/**
 * Verify (PBS verify.rs, reference pbs-engine.md 9.1): checks that every file a snapshot's
 * manifest lists is intact, down to every chunk its indexes reference, and records the outcome
 * in the manifest's `unprotected.verify_state`.
 *
 * A READ operation (DESIGN 4): it runs on a read handle, so read-only maintenance allows it. Its
 * only writes are the read handle's two narrow ones, `setVerifyState` and `markChunkBad`.
 *
 * Locks: a SHARED snapshot lock for as long as one snapshot is checked, taken without waiting;
 * a snapshot held exclusively (being written, moved, pruned) is skipped, as PBS does. The manifest
 * lock (waits up to 5 s) is taken inside `setVerifyState`. Chunk hashing runs in worker threads
 * (verify-pool.ts) so the main thread stays free for the lock heartbeat; a lost lock aborts the
 * job through the guard's signal.
 */
import { createHash } from "node:crypto";
import { performance } from "node:perf_hooks";
import { CofferError, errorMessage, isCofferError, isErrno } from "../model/errors";
import { blobKind, decodeBlob, verifyBlobCrc } from "../format/blob";
import { DynamicIndexReader } from "../format/dynamic-index";
import { FixedIndexReader } from "../format/fixed-index";
import { type BackupManifest, MANIFEST_BLOB_NAME, type ManifestFile } from "../format/manifest";
import { assertGroupExists, listGroups } from "../content/group";
import { inSnapshot, snapshotDisplay, snapshotRel } from "../storage/layout";
import { type LockGuard } from "../../platform/file-lock";
import { lockSnapshot } from "../locking/locks";
import { nullLog, type EngineLog } from "../model/log";
import { archiveType, BackupNamespace, type GroupRef, groupPath, type SnapshotRef } from "../model/names";
import { listNamespacesRecursive } from "../content/namespace";
import { readStoreOf, type ReadHandle } from "../open";
import { listSnapshotTimes, readManifest } from "../content/snapshot";
import type { Store } from "../storage/store";
import { type ChunkJob, defaultVerifyThreads, type PoolReply, VerifyPool } from "./verify-pool";

/** What to verify: a whole store (or a namespace subtree), one group, or one snapshot. */
export type VerifyScope =
  | { kind: "datastore"; ns?: BackupNamespace; maxDepth?: number }
  | { kind: "group"; ns: BackupNamespace; group: GroupRef }
  | { kind: "snapshot"; ns: BackupNamespace; snapshot: SnapshotRef };

export interface VerifyOptions {
  /** The verify task's UPID, recorded in each snapshot's `verify_state`. */
  upid: string;
  /** Skip snapshots that already have a verify state (PBS default: true). */
  ignoreVerified?: boolean;
  /** With ignoreVerified: re-verify snapshots whose last verify is more than this many days old. */
  outdatedAfter?: number;
  log?: EngineLog;
  /** Aborts the job (the task's stop request); checked between chunks, files and snapshots. */
  signal?: AbortSignal;
  /** Hashing threads; default one per core. */
  threads?: number;
  /** Epoch seconds "now", for the outdated-after filter (tests). */
  now?: () => number;
}

export interface VerifyResult {
  /** Snapshots in scope. */
  snapshots: number;
  ok: number;
  /** Display paths of the snapshots that failed. */
  failed: string[];
  /** Gone, locked, or recently verified. */
  skipped: number;
  /** Distinct chunks read and checked. */
  chunks: number;
  /** Chunk file bytes read. */
  bytesRead: number;
  /** Plain chunk bytes those hold. */
  bytesDecoded: number;
  seconds: number;
  /** Hashing threads used (0 when no chunk needed checking). */
  threads: number;
}

/** The final error of a verify task that found problems (PBS's text). */
export const VERIFY_FAILED_MESSAGE = "verification failed - please check the log for details";

/** Batches sent to a hashing thread: small enough to spread over threads, big enough to amortise the message. */
const BATCH_MAX_CHUNKS = 256;
const BATCH_MAX_BYTES = 16 * 1024 * 1024;
/** Batches queued per thread, so a thread never waits for the main thread to send more. */
const IN_FLIGHT_PER_THREAD = 2;
/** How often the chunk loop checks for an abort (PBS: every 1024 chunks). */
const ABORT_CHECK_EVERY = 256;

const UPID_STARTTIME = /^UPID:[^:]+:[0-9A-Fa-f]{8}:[0-9A-Fa-f]{8,9}:[0-9A-Fa-f]{8,16}:([0-9A-Fa-f]{8}):/;

/**
 * PBS `verify_filter`: true when the snapshot should be verified. Without ignore-verified,
 * always; a missing or unreadable verify state, always; a recorded one, never, unless
 * outdated-after is set and more whole days than that passed since the verifying task started.
 */
export function verifyFilter(
  ignoreVerified: boolean,
  outdatedAfter: number | undefined,
  manifest: BackupManifest,
  now: number,
  log: EngineLog = nullLog,
): boolean {
  if (!ignoreVerified) return true;
  const raw = manifest.unprotected.verify_state;
  if (raw === undefined || raw === null) return true;
  const v = raw as { state?: unknown; upid?: unknown };
  const m = typeof v.upid === "string" && (v.state === "ok" || v.state === "failed") ? UPID_STARTTIME.exec(v.upid) : null;
  if (!m) {
    log.warn(`error reading manifest: unable to parse verify_state ${JSON.stringify(raw)}`);
    return true;
  }
  if (outdatedAfter === undefined) return false;
  const daysSince = Math.trunc((now - parseInt(m[1]!, 16)) / 86400);
  return daysSince > outdatedAfter;
}

/** Verifies everything in `scope`; returns the counts (the caller decides whether failures fail a task). */
export async function verifyBackups(handle: ReadHandle, scope: VerifyScope, opts: VerifyOptions): Promise<VerifyResult> {
  const job = new VerifyJob(handle, opts);
  try {
    return await job.run(scope);
  } finally {
    await job.close();
  }
}

type Outcome = "ok" | "failed" | "skipped";

interface Target {
  ns: BackupNamespace;
  snap: SnapshotRef;
}

interface Batch {
  jobs: ChunkJob[];
  reply: Promise<PoolReply>;
}

const mib = (bytes: number) => bytes / (1024 * 1024);

class VerifyJob {
  private readonly store: Store;
  private readonly log: EngineLog;
  /** Digests found intact or corrupt, shared across the whole job (PBS verified/corrupt_chunks). */
  private readonly verified = new Set<string>();
  private readonly corrupt = new Set<string>();
  private pool: VerifyPool | undefined;
  private readonly start = performance.now();
  private chunks = 0;
  private bytesRead = 0;
  private bytesDecoded = 0;

  constructor(
    private readonly handle: ReadHandle,
    private readonly opts: VerifyOptions,
  ) {
    this.store = readStoreOf(handle);
    this.log = opts.log ?? nullLog;
  }

  async close(): Promise<void> {
    await this.pool?.close();
  }

  private checkAbort(guard?: LockGuard): void {
    this.opts.signal?.throwIfAborted();
    if (guard?.signal.aborted) throw guard.signal.reason;
  }

  private get aborted(): boolean {
    return this.opts.signal?.aborted ?? false;
  }

  async run(scope: VerifyScope): Promise<VerifyResult> {
    const targets = await this.targets(scope);
    const result: VerifyResult = {
      snapshots: targets.length,
      ok: 0,
      failed: [],
      skipped: 0,
      chunks: 0,
      bytesRead: 0,
      bytesDecoded: 0,
      seconds: 0,
      threads: 0,
    };
    const groupKey = (t: Target) => groupDisplay(t.ns, t.snap);
    const perGroup = new Map<string, number>();
    for (const t of targets) perGroup.set(groupKey(t), (perGroup.get(groupKey(t)) ?? 0) + 1);
    let lastGroup: string | undefined;
    for (const [i, t] of targets.entries()) {
      this.checkAbort();
      if (scope.kind !== "snapshot" && groupKey(t) !== lastGroup) {
        lastGroup = groupKey(t);
        this.log.info(`verify group ${this.store.name}:${lastGroup} (${perGroup.get(lastGroup)} snapshots)`);
      }
      const outcome = await this.verifySnapshot(t.ns, t.snap);
      if (outcome === "ok") result.ok++;
      else if (outcome === "skipped") result.skipped++;
      else result.failed.push(snapshotDisplay(t.ns, t.snap));
      if (targets.length > 1) {
        const secs = (performance.now() - this.start) / 1000;
        this.log.info(
          `verified ${i + 1} of ${targets.length} snapshots (${Math.floor(((i + 1) * 100) / targets.length)}%), ` +
            `${mib(this.bytesRead).toFixed(2)} MiB read, ${(mib(this.bytesRead) / Math.max(secs, 1e-3)).toFixed(2)} MiB/s`,
        );
      }
    }
    result.chunks = this.chunks;
    result.bytesRead = this.bytesRead;
    result.bytesDecoded = this.bytesDecoded;
    result.seconds = (performance.now() - this.start) / 1000;
    result.threads = this.pool?.size ?? 0;
    this.log.info(
      `verify summary: ${result.ok} ok, ${result.failed.length} failed, ${result.skipped} skipped of ${result.snapshots} snapshots; ` +
        `${result.chunks} chunks, ${mib(result.bytesRead).toFixed(2)} MiB read in ${result.seconds.toFixed(2)} s ` +
        `(${(mib(result.bytesRead) / Math.max(result.seconds, 1e-3)).toFixed(2)} MiB/s, ${result.threads} hashing threads)`,
    );
    if (result.failed.length > 0) {
      this.log.info("Failed to verify the following snapshots/groups:");
      for (const dir of result.failed) this.log.info(`\t${dir}`);
    }
    return result;
  }

  /** The snapshots in scope, listed up front so that progress can say "n of N"; newest first per group. */
  private async targets(scope: VerifyScope): Promise<Target[]> {
    const name = this.store.name;
    const ofGroup = async (ns: BackupNamespace, group: GroupRef): Promise<Target[]> =>
      (await listSnapshotTimes(this.store, ns, group)).reverse().map((time) => ({ ns, snap: { ...group, time } }));

    if (scope.kind === "snapshot") return [{ ns: scope.ns, snap: scope.snapshot }];
    if (scope.kind === "group") {
      await assertGroupExists(this.store, scope.ns, scope.group);
      return ofGroup(scope.ns, scope.group);
    }
    const anchor = scope.ns ?? BackupNamespace.root;
    this.log.info(anchor.isRoot ? `verify datastore ${name}` : `verify datastore ${name}, namespace '${anchor}'`);
    const out: Target[] = [];
    let groups = 0;
    for (const ns of await listNamespacesRecursive(this.store, anchor, scope.maxDepth)) {
      for (const g of await listGroups(this.store, ns)) {
        groups++;
        out.push(...(await ofGroup(ns, g)));
      }
    }
    this.log.info(`found ${groups} groups, ${out.length} snapshots`);
    return out;
  }

  /** PBS `verify_backup_dir`: gone or locked snapshots are skipped (and count as fine). */
  private async verifySnapshot(ns: BackupNamespace, snap: SnapshotRef): Promise<Outcome> {
    const label = `${this.store.name}:${snapshotDisplay(ns, snap)}`;
    if (!(await this.store.backend.exists(snapshotRel(ns, snap)))) {
      this.log.info(`SKIPPED: verify ${label} - snapshot does not exist (anymore).`);
      return "skipped";
    }
    let guard: LockGuard;
    try {
      guard = await lockSnapshot(this.store.name, ns, snap, "shared");
    } catch (err) {
      this.log.info(`SKIPPED: verify ${label} - could not acquire snapshot lock: ${errorMessage(err)}`);
      return "skipped";
    }
    try {
      return await this.verifyLocked(ns, snap, label, guard);
    } finally {
      await guard.release();
    }
  }

  /** PBS `verify_backup_dir_with_lock`. */
  private async verifyLocked(ns: BackupNamespace, snap: SnapshotRef, label: string, guard: LockGuard): Promise<Outcome> {
    let manifest: BackupManifest;
    try {
      manifest = await readManifest(this.store, ns, snap);
    } catch (err) {
      // A snapshot without a manifest is an unfinished or aborted backup; PBS fails it too.
      const why = isErrno(err, "ENOENT")
        ? `unable to load blob ${JSON.stringify(this.store.backend.absolute(inSnapshot(ns, snap, MANIFEST_BLOB_NAME)))} - No such file or directory (os error 2)`
        : errorMessage(err);
      this.log.warn(`verify ${label} - manifest load error: ${why}`);
      return "failed";
    }
    const now = this.opts.now?.() ?? Math.floor(Date.now() / 1000);
    if (!verifyFilter(this.opts.ignoreVerified ?? true, this.opts.outdatedAfter, manifest, now, this.log)) {
      this.log.info(`SKIPPED: verify ${label} (recently verified)`);
      return "skipped";
    }
    this.log.info(`verify ${label}`);
    let errors = 0;
    for (const file of manifest.files) {
      this.log.info(`  check ${file.filename}`);
      try {
        const type = archiveType(file.filename);
        if (type === "blob") await this.verifyBlob(ns, snap, file);
        else await this.verifyIndex(ns, snap, file, type, guard);
      } catch (err) {
        // An abort or a lost lock ends the job; anything else fails only this file.
        if (this.aborted || guard.signal.aborted) throw err;
        this.log.warn(`verify ${label}/${file.filename} failed: ${errorMessage(err)}`);
        errors++;
      }
      this.checkAbort(guard);
    }
    const state = errors === 0 ? "ok" : "failed";
    try {
      await this.handle.setVerifyState(ns, snap, { state, upid: this.opts.upid });
    } catch (err) {
      this.log.warn(`verify ${label} - manifest update error: ${errorMessage(err)}`);
      return "failed";
    }
    return state;
  }

  /** PBS `verify_blob`: size and sha256 of the raw file as the manifest has them, then decode. */
  private async verifyBlob(ns: BackupNamespace, snap: SnapshotRef, file: ManifestFile): Promise<void> {
    const rel = inSnapshot(ns, snap, file.filename);
    let raw: Buffer;
    try {
      raw = await this.store.backend.readFile(rel);
    } catch (err) {
      throw new CofferError("INTERNAL", `unable to load blob ${JSON.stringify(this.store.backend.absolute(rel))} - ${errorMessage(err)}`);
    }
    if (raw.length !== file.size) throw new CofferError("INTERNAL", `wrong size (${file.size} != ${raw.length})`);
    if (createHash("sha256").update(raw).digest("hex") !== file.csum) throw new CofferError("INTERNAL", "wrong index checksum");
    const kind = blobKind(raw);
    if (kind === "encrypted" || kind === "encrypted-zstd") verifyBlobCrc(raw); // no key: the framing is all we can check
    else decodeBlob(raw);
  }

  /** PBS `verify_fixed_index` / `verify_dynamic_index`: index checksum and size, then every chunk. */
  private async verifyIndex(
    ns: BackupNamespace,
    snap: SnapshotRef,
    file: ManifestFile,
    type: "fixed" | "dynamic",
    guard: LockGuard,
  ): Promise<void> {
    const rel = inSnapshot(ns, snap, file.filename);
    let index: FixedIndexReader | DynamicIndexReader;
    try {
      const raw = await this.store.backend.readFile(rel);
      index = type === "fixed" ? FixedIndexReader.fromBuffer(raw) : DynamicIndexReader.fromBuffer(raw);
    } catch (err) {
      throw new CofferError("INTERNAL", `Unable to open ${type} index ${JSON.stringify(this.store.backend.absolute(rel))} - ${errorMessage(err)}`);
    }
    const { csum, size } = index.computeCsum();
    if (size !== file.size) throw new CofferError("INTERNAL", `wrong size (${file.size} != ${size})`);
    if (csum.toString("hex") !== file.csum) throw new CofferError("INTERNAL", "wrong index checksum");
    // PBS FileInfo::chunk_crypt_mode: sign-only archives have plain chunks.
    const cryptMode = file["crypt-mode"] === "encrypt" ? "encrypt" : "none";
    if (cryptMode === "encrypt") {
      this.log.info(
        "  encrypted archive: its chunks are checked for crypt mode and CRC only; their content cannot be " +
          "decoded without the client's key (PBS cannot either)",
      );
    }
    await this.verifyIndexChunks(index, cryptMode, guard);
  }

  /**
   * PBS `verify_index_chunks`: every chunk not yet seen in this job goes to the hashing threads
   * in batches; replies are handled in the order they were sent, so the log reads in index
   * order. A corrupt chunk is renamed to `.N.bad` so that the next backup uploads it again.
   */
  private async verifyIndexChunks(
    index: FixedIndexReader | DynamicIndexReader,
    cryptMode: "none" | "encrypt",
    guard: LockGuard,
  ): Promise<void> {
    const started = performance.now();
    const backend = this.store.backend;
    this.pool ??= VerifyPool.start(this.opts.threads ?? defaultVerifyThreads());
    const pool = this.pool;
    const maxInFlight = pool.size * IN_FLIGHT_PER_THREAD;
    const inFlight: Batch[] = [];
    const queued = new Set<string>();
    let errors = 0;
    let read = 0;
    let decoded = 0;
    let jobs: ChunkJob[] = [];
    let batchBytes = 0;

    const handleReply = async (batch: Batch) => {
      const reply = await batch.reply;
      for (const [i, outcome] of reply.outcomes.entries()) {
        const job = batch.jobs[i]!;
        this.chunks++;
        read += outcome.rawSize;
        if (outcome.cryptMode && outcome.cryptMode !== cryptMode) {
          this.log.warn(`chunk CryptMode ${outcome.cryptMode} does not match index CryptMode ${cryptMode}`);
          errors++;
        }
        if (outcome.ok) {
          this.verified.add(job.digest);
          decoded += job.size;
          continue;
        }
        this.corrupt.add(job.digest);
        errors++;
        this.log.warn(outcome.stage === "load" ? `can't verify chunk, load failed - ${outcome.message}` : outcome.message);
        await this.renameCorrupt(job.digest);
      }
    };

    const send = async () => {
      if (jobs.length === 0) return;
      const reply = pool.check(jobs);
      // Handled when its turn comes; this only keeps an abort (which leaves it behind) from
      // turning its rejection into an unhandled one.
      reply.catch(() => {});
      inFlight.push({ jobs, reply });
      jobs = [];
      batchBytes = 0;
      while (inFlight.length >= maxInFlight) await handleReply(inFlight.shift()!);
    };

    for (let i = 0; i < index.count; i++) {
      if (i % ABORT_CHECK_EVERY === 0) this.checkAbort(guard);
      const digest = index.digest(i);
      const hex = digest.toString("hex");
      if (this.verified.has(hex) || queued.has(hex)) continue;
      if (this.corrupt.has(hex)) {
        this.log.warn(`chunk ${hex} was marked as corrupt`);
        errors++;
        continue;
      }
      queued.add(hex);
      const range = index.chunkRange(i);
      const size = range.end - range.start;
      await backend.chunks.fetchToCache?.(digest);
      jobs.push({ path: backend.chunks.chunkFileForWorkers(digest), digest: hex, size });
      batchBytes += size;
      if (jobs.length >= BATCH_MAX_CHUNKS || batchBytes >= BATCH_MAX_BYTES) await send();
    }
    await send();
    while (inFlight.length > 0) {
      this.checkAbort(guard);
      await handleReply(inFlight.shift()!);
    }

    this.bytesRead += read;
    this.bytesDecoded += decoded;
    const secs = Math.max((performance.now() - started) / 1000, 1e-6);
    this.log.info(
      `  verified ${mib(read).toFixed(2)}/${mib(decoded).toFixed(2)} MiB in ${secs.toFixed(2)} seconds, ` +
        `speed ${(mib(read) / secs).toFixed(2)}/${(mib(decoded) / secs).toFixed(2)} MiB/s (${errors} errors)`,
    );
    if (errors > 0) throw new CofferError("INTERNAL", "chunks could not be verified");
  }

  /** PBS `rename_corrupted_chunk`: a chunk that is missing altogether needs no renaming. */
  private async renameCorrupt(hex: string): Promise<void> {
    try {
      const path = await this.handle.markChunkBad(Buffer.from(hex, "hex"));
      this.log.info(`corrupt chunk renamed to ${JSON.stringify(path)}`);
    } catch (err) {
      if (isCofferError(err) && err.code === "NOT_FOUND") return;
      this.log.warn(`could not rename corrupt chunk ${hex} - ${errorMessage(err)}`);
    }
  }
}

/** `vm/100`, prefixed with `ns/a/` outside the root namespace, as snapshotDisplay does. */
function groupDisplay(ns: BackupNamespace, g: GroupRef): string {
  return ns.isRoot ? groupPath(g) : `${ns.path()}/${groupPath(g)}`;
}
