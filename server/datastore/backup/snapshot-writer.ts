/**
 * Writing a new snapshot (PBS's backup environment, reference 2.4 and 3.3), in this order:
 * exclusive group lock for the whole write (owner check; a new group gets the writer as owner),
 * the new time must be newer than the last finished snapshot, a shared lock on that previous
 * snapshot (so it cannot be pruned while this one may reuse its chunks), an exclusive lock on
 * the new snapshot directory, and a registration as a writer so GC's oldest-writer rule
 * protects the chunks this writer inserts. Archives are written chunk store first, index file
 * (temp file + rename) second, and the manifest last: a writer that dies leaves an unfinished
 * snapshot (no manifest), never a manifest that points at missing data.
 */
import { createHash } from "node:crypto";
import { CofferError, errorMessage, withContext } from "../model/errors";
import { encodeBlob } from "../format/blob";
import { Chunker } from "../format/chunker";
import { DynamicIndexReader, DynamicIndexWriter } from "../format/dynamic-index";
import { DEFAULT_FIXED_CHUNK_SIZE, FixedIndexReader, FixedIndexWriter } from "../format/fixed-index";
import {
  type BackupManifest,
  type ManifestFile,
  manifestFile,
  manifestVerifyState,
  serializeManifest,
} from "../format/manifest";
import { createLockedGroup } from "../content/group";
import { inSnapshot, MANIFEST_BLOB_NAME, PROTECTED_MARKER, snapshotDisplay, snapshotRel } from "../storage/layout";
import { type LockGuard } from "../../platform/file-lock";
import { lockSnapshot } from "../locking/locks";
import { nullLog, type EngineLog } from "../model/log";
import { archiveFileName, type BackupNamespace, formatBackupTime, type GroupRef, type SnapshotRef } from "../model/names";
import { assertNamespaceExists } from "../content/namespace";
import { type WriteHandle, storeOf } from "../open";
import { checkBackupOwner } from "../model/owner";
import { lastFinishedSnapshot, readManifest } from "../content/snapshot";
import type { Store } from "../storage/store";
import { registerWriter } from "../state/writers";

export interface ArchiveStats {
  filename: string;
  /** Bytes of data read from the source. */
  size: number;
  chunks: number;
  /** Chunks that were already in the chunk store (deduplicated). */
  reusedChunks: number;
  /** Bytes written to the chunk store for new chunks. */
  writtenBytes: number;
}

/**
 * A chunk whose digest and DataBlob encoding were computed by the caller (for instance in hashing
 * threads), for `writeFixedPrepared` / `writeDynamicPrepared`.
 */
export interface PreparedChunk {
  /** sha256 of the plain data. */
  digest: Buffer;
  /** Plain data length. */
  size: number;
  /** The encoded DataBlob (framing + CRC + the data, zstd-compressed when that is smaller). */
  blob: Buffer;
}

export interface PreparedWriteOptions {
  signal?: AbortSignal;
  /** Called after each chunk with the archive's running totals (progress reporting). */
  onChunk?: (stats: Readonly<ArchiveStats>) => void;
}

/** Chunk inserts kept in flight at once by the prepared writers (the file system works meanwhile). */
const INSERTS_IN_FLIGHT = 4;

export interface BeginOptions {
  /** Auth id doing the backup; owner of a new group, checked against an existing one. */
  authId: string;
  /** Epoch seconds; default now. Must be newer than the group's last finished snapshot. */
  backupTime?: number;
  log?: EngineLog;
  /** zstd level for chunks and blobs (default PBS's 1); 0 stores them uncompressed. */
  level?: number;
}

export class SnapshotWriter {
  private readonly files: ManifestFile[] = [];
  private readonly stats = { count: 0, size: 0, compressed_size: 0, duplicates: 0 };
  private done = false;
  /**
   * Digests (hex) of the chunks the previous snapshot's indexes reference, once
   * `useKnownChunks` loaded them: such chunks are referenced without being inserted again.
   */
  private known: Set<string> | undefined;
  private baseManifestCache: BackupManifest | undefined;

  /** Digests (hex) of the previous snapshot's chunks, once `useKnownChunks` loaded them. */
  get knownDigests(): ReadonlySet<string> | undefined {
    return this.known;
  }

  private constructor(
    private readonly store: Store,
    readonly ns: BackupNamespace,
    readonly snapshot: SnapshotRef,
    /** Time of the previous finished snapshot (the base of an incremental backup). */
    readonly previous: number | undefined,
    private readonly locks: LockGuard[],
    private readonly unregister: () => Promise<void>,
    private readonly log: EngineLog,
    private readonly level: number | undefined,
  ) {}

  /** Takes the locks and creates the (unfinished) snapshot directory. */
  static async begin(handle: WriteHandle, ns: BackupNamespace, group: GroupRef, opts: BeginOptions): Promise<SnapshotWriter> {
    const store = storeOf(handle);
    const log = opts.log ?? nullLog;
    const time = opts.backupTime ?? Math.floor(Date.now() / 1000);
    formatBackupTime(time);
    await assertNamespaceExists(store, ns);
    const locks: LockGuard[] = [];
    const releaseAll = async () => {
      for (const l of locks.reverse()) await l.release();
    };
    try {
      const { guard, owner } = await createLockedGroup(store, ns, group, opts.authId);
      locks.push(guard);
      checkBackupOwner(owner, opts.authId);
      const previous = await lastFinishedSnapshot(store, ns, group);
      if (previous !== undefined && time <= previous) {
        throw new CofferError("CONFLICT", "backup timestamp is older than last backup.");
      }
      if (previous !== undefined) {
        locks.push(await lockSnapshot(store.name, ns, { ...group, time: previous }, "shared"));
      }
      const snapshot = { ...group, time };
      try {
        locks.push(await lockSnapshot(store.name, ns, snapshot, "exclusive"));
      } catch (err) {
        throw withContext(`while creating new locked snapshot '${snapshotDisplay(ns, snapshot)}'`, err);
      }
      if (!(await store.backend.mkdir(snapshotRel(ns, snapshot)))) {
        throw new CofferError("CONFLICT", "backup directory already exists.");
      }
      const writer = await registerWriter(store.name);
      log.info(`starting new backup on datastore '${store.name}': "${snapshotDisplay(ns, snapshot)}"`);
      if (previous !== undefined) log.info(`previous backup: ${formatBackupTime(previous)}`);
      return new SnapshotWriter(store, ns, snapshot, previous, locks, () => writer.unregister(), log, opts.level);
    } catch (err) {
      await releaseAll();
      throw err;
    }
  }

  private assertOpen(): void {
    if (this.done) throw new CofferError("INTERNAL", "snapshot writer already finished");
    for (const l of this.locks) {
      if (l.signal.aborted) throw new CofferError("INTERNAL", `lost lock ${JSON.stringify(l.path)} during backup`);
    }
  }

  private path(filename: string): string {
    return inSnapshot(this.ns, this.snapshot, filename);
  }

  private addFile(filename: string, size: number, csum: string): void {
    if (this.files.some((f) => f.filename === filename)) {
      throw new CofferError("CONFLICT", `archive '${filename}' was already written in this backup`);
    }
    this.files.push({ filename, "crypt-mode": "none", size, csum });
  }

  private async insertChunk(data: Uint8Array, stats: ArchiveStats): Promise<Buffer> {
    const digest = createHash("sha256").update(data).digest();
    if (this.countKnown(digest, data.length, stats)) return digest;
    const blob = encodeBlob(data, { level: this.level });
    const r = await this.store.backend.chunks.insertChunk(digest, blob);
    stats.chunks++;
    this.stats.count++;
    this.stats.size += data.length;
    if (r.exists) {
      stats.reusedChunks++;
      this.stats.duplicates++;
    } else {
      stats.writtenBytes += blob.length;
      this.stats.compressed_size += blob.length;
    }
    return digest;
  }

  /**
   * A chunk of the previous snapshot is referenced as it is, not inserted again (PBS's known
   * chunks): that snapshot is shared-locked until this writer ends, so GC keeps marking it, and
   * `finish` refuses if it vanished anyway. Counts it as reused; false when it is not known.
   */
  private countKnown(digest: Buffer, size: number, stats: ArchiveStats): boolean {
    if (!this.known?.has(digest.toString("hex"))) return false;
    stats.chunks++;
    stats.reusedChunks++;
    this.stats.count++;
    this.stats.size += size;
    this.stats.duplicates++;
    return true;
  }

  private async insertPrepared(chunk: PreparedChunk, stats: ArchiveStats): Promise<void> {
    const r = await this.store.backend.chunks.insertChunk(chunk.digest, chunk.blob);
    if (r.exists) {
      stats.reusedChunks++;
      this.stats.duplicates++;
    } else {
      stats.writtenBytes += chunk.blob.length;
      this.stats.compressed_size += chunk.blob.length;
    }
  }

  /**
   * The previous finished snapshot's manifest (the base of this backup), or undefined when the
   * group had none. Read once; the shared lock keeps it from being pruned meanwhile.
   */
  async baseManifest(): Promise<BackupManifest | undefined> {
    if (this.previous === undefined) return undefined;
    this.baseManifestCache ??= await readManifest(this.store, this.ns, { ...this.snapshot, time: this.previous });
    return this.baseManifestCache;
  }

  /**
   * Loads the digests of every chunk the base snapshot's indexes reference, so that this backup
   * references them without inserting them again. Not done (returns `used: false` and why) when
   * there is no base or the base failed verification: PBS does not use such a snapshot as the
   * base, since some of its chunks may be missing or corrupt.
   */
  async useKnownChunks(): Promise<{ used: boolean; chunks: number; reason?: string }> {
    this.assertOpen();
    const base = await this.baseManifest();
    if (!base) return { used: false, chunks: 0, reason: "no previous finished snapshot" };
    if (manifestVerifyState(base)?.state === "failed") {
      return { used: false, chunks: 0, reason: "the previous snapshot failed verification" };
    }
    const known = new Set<string>();
    for (const f of base.files) {
      if (!f.filename.endsWith(".fidx") && !f.filename.endsWith(".didx")) continue;
      const file = this.store.backend.indexFile(inSnapshot(this.ns, { ...this.snapshot, time: this.previous! }, f.filename));
      const index = f.filename.endsWith(".fidx") ? await FixedIndexReader.open(file) : await DynamicIndexReader.open(file);
      for (const d of index.digests()) known.add(d.toString("hex"));
    }
    this.known = known;
    return { used: true, chunks: known.size };
  }

  /**
   * Takes archive `filename` over from the base snapshot unchanged: a fresh index (new uuid and
   * ctime) with the same digests, or a copy of the blob. Nothing is read from the source and no
   * chunk is written. The base's file must match its manifest entry (size and checksum), so a
   * damaged base is never propagated. Refuses when the base failed verification.
   */
  async reuseArchive(filename: string): Promise<ArchiveStats> {
    this.assertOpen();
    const base = await this.baseManifest();
    if (!base) throw new CofferError("BAD_REQUEST", `cannot reuse '${filename}': there is no previous finished snapshot`);
    if (manifestVerifyState(base)?.state === "failed") {
      throw new CofferError("BAD_REQUEST", `cannot reuse '${filename}': the previous snapshot failed verification`);
    }
    const entry = manifestFile(base, filename);
    const from = this.store.backend.indexFile(inSnapshot(this.ns, { ...this.snapshot, time: this.previous! }, filename));
    const mismatch = () =>
      new CofferError("INTERNAL", `cannot reuse '${filename}': the previous snapshot's file does not match its manifest`);
    const stats: ArchiveStats = { filename, size: 0, chunks: 0, reusedChunks: 0, writtenBytes: 0 };
    let csum: string;
    if (filename.endsWith(".fidx")) {
      const reader = await FixedIndexReader.open(from);
      const sum = reader.indexChecksum();
      if (sum.csum !== entry.csum || sum.size !== entry.size) throw mismatch();
      const writer = await FixedIndexWriter.create(this.store.backend.indexFile(this.path(filename)), {
        size: reader.size,
        chunkSize: reader.chunkSize,
      });
      writer.cloneDataFrom(reader);
      csum = (await writer.close()).toString("hex");
      Object.assign(stats, { size: reader.size, chunks: reader.count, reusedChunks: reader.count });
    } else if (filename.endsWith(".didx")) {
      const reader = await DynamicIndexReader.open(from);
      const sum = reader.indexChecksum();
      if (sum.csum !== entry.csum || sum.size !== entry.size) throw mismatch();
      const writer = await DynamicIndexWriter.create(this.store.backend.indexFile(this.path(filename)));
      try {
        for (let i = 0; i < reader.count; i++) writer.addChunk(reader.end(i), reader.digest(i));
      } catch (err) {
        await writer.abort();
        throw err;
      }
      csum = (await writer.close()).toString("hex");
      Object.assign(stats, { size: reader.size, chunks: reader.count, reusedChunks: reader.count });
    } else {
      const raw = await this.store.backend.readFile(inSnapshot(this.ns, { ...this.snapshot, time: this.previous! }, filename));
      csum = createHash("sha256").update(raw).digest("hex");
      if (csum !== entry.csum || raw.length !== entry.size) throw mismatch();
      await this.store.backend.writeFileAtomic(this.path(filename), raw);
      Object.assign(stats, { size: raw.length, writtenBytes: raw.length });
    }
    this.addFile(filename, entry.size, csum);
    this.stats.count += stats.chunks;
    this.stats.size += stats.size;
    this.stats.duplicates += stats.reusedChunks;
    this.log.info(`${filename}: reused from the previous snapshot (${stats.chunks} chunks, ${stats.size} bytes)`);
    return stats;
  }

  /**
   * Runs the chunks of one archive through the store: each is recorded in the index at once
   * (`record`), known chunks are skipped, the others inserted with up to INSERTS_IN_FLIGHT
   * inserts running while the next chunks arrive. Every insert has ended when this returns.
   */
  private async consumePrepared(
    source: AsyncIterable<PreparedChunk>,
    stats: ArchiveStats,
    opts: PreparedWriteOptions,
    record: (chunk: PreparedChunk) => void,
  ): Promise<void> {
    const inflight = new Set<Promise<void>>();
    let failure: { err: unknown } | undefined;
    const track = (p: Promise<void>) => {
      const q = p.then(
        () => void inflight.delete(q),
        (err: unknown) => {
          inflight.delete(q);
          failure ??= { err };
        },
      );
      inflight.add(q);
    };
    try {
      for await (const chunk of source) {
        opts.signal?.throwIfAborted();
        this.assertOpen();
        if (failure) throw failure.err;
        record(chunk);
        stats.size += chunk.size;
        if (!this.countKnown(chunk.digest, chunk.size, stats)) {
          stats.chunks++;
          this.stats.count++;
          this.stats.size += chunk.size;
          track(this.insertPrepared(chunk, stats));
          while (inflight.size >= INSERTS_IN_FLIGHT) await Promise.race(inflight);
        }
        opts.onChunk?.(stats);
      }
    } finally {
      // Never leave inserts running behind the caller's back (an abort removes the directory).
      await Promise.all(inflight);
    }
    if (failure) throw failure.err;
  }

  /**
   * `writeFixed` for chunks hashed and encoded by the caller (e.g. in worker threads). Chunks
   * come in order; each but the last must be exactly `chunkSize` bytes.
   */
  async writeFixedPrepared(
    archive: string,
    source: AsyncIterable<PreparedChunk>,
    opts: PreparedWriteOptions & { chunkSize?: number } = {},
  ): Promise<ArchiveStats> {
    const chunkSize = opts.chunkSize ?? DEFAULT_FIXED_CHUNK_SIZE;
    return this.writeIndexed(archive, "fixed", chunkSize, async (index, stats) => {
      await this.consumePrepared(source, stats, opts, (c) => index.addChunk(stats.size, c.size, c.digest));
    });
  }

  /** `writeDynamic` for chunks cut, hashed and encoded by the caller, in stream order. */
  async writeDynamicPrepared(
    archive: string,
    source: AsyncIterable<PreparedChunk>,
    opts: PreparedWriteOptions = {},
  ): Promise<ArchiveStats> {
    return this.writeIndexed(archive, "dynamic", 0, async (index, stats) => {
      await this.consumePrepared(source, stats, opts, (c) => index.addChunk(stats.size + c.size, c.digest));
    });
  }

  /** A small file stored directly as `<name>.blob` (config files, keys, logs). */
  async writeBlob(archive: string, data: Uint8Array): Promise<ArchiveStats> {
    this.assertOpen();
    const filename = archiveFileName(archive);
    if (!filename.endsWith(".blob")) throw new CofferError("BAD_REQUEST", `'${archive}' is not a blob archive name`);
    const raw = encodeBlob(data, { level: this.level });
    await this.store.backend.writeFileAtomic(this.path(filename), raw);
    this.addFile(filename, raw.length, createHash("sha256").update(raw).digest("hex"));
    return { filename, size: data.length, chunks: 0, reusedChunks: 0, writtenBytes: raw.length };
  }

  /** A disk image or file cut into fixed-size chunks (`<name>.img.fidx`). */
  async writeFixed(
    archive: string,
    source: AsyncIterable<Uint8Array>,
    opts: { chunkSize?: number; signal?: AbortSignal } = {},
  ): Promise<ArchiveStats> {
    const chunkSize = opts.chunkSize ?? DEFAULT_FIXED_CHUNK_SIZE;
    return this.writeIndexed(archive, "fixed", chunkSize, async (index, stats) => {
      for await (const chunk of rechunk(source, chunkSize)) {
        opts.signal?.throwIfAborted();
        this.assertOpen();
        const digest = await this.insertChunk(chunk, stats);
        index.addChunk(stats.size, chunk.length, digest);
        stats.size += chunk.length;
      }
    });
  }

  /** A stream cut into content-defined chunks (`<name>.didx`). */
  async writeDynamic(
    archive: string,
    source: AsyncIterable<Uint8Array>,
    opts: { signal?: AbortSignal } = {},
  ): Promise<ArchiveStats> {
    return this.writeIndexed(archive, "dynamic", 0, async (index, stats) => {
      for await (const chunk of contentDefinedChunks(source)) {
        opts.signal?.throwIfAborted();
        this.assertOpen();
        const digest = await this.insertChunk(chunk, stats);
        stats.size += chunk.length;
        index.addChunk(stats.size, digest);
      }
    });
  }

  /**
   * What every index archive shares: the name check, the index file written to a temp name and
   * renamed into place only when complete (removed on any failure), the manifest entry and the
   * summary line. `fill` feeds the chunks and keeps `stats.size` current.
   */
  private async writeIndexed<K extends "fixed" | "dynamic">(
    archive: string,
    kind: K,
    chunkSize: number,
    fill: (index: K extends "fixed" ? FixedIndexWriter : DynamicIndexWriter, stats: ArchiveStats) => Promise<void>,
  ): Promise<ArchiveStats> {
    this.assertOpen();
    const filename = archiveFileName(archive);
    const ext = kind === "fixed" ? ".fidx" : ".didx";
    if (!filename.endsWith(ext)) {
      throw new CofferError("BAD_REQUEST", `'${archive}' is not ${kind === "fixed" ? "an image" : "a dynamic"} archive name`);
    }
    const stats: ArchiveStats = { filename, size: 0, chunks: 0, reusedChunks: 0, writtenBytes: 0 };
    const file = this.store.backend.indexFile(this.path(filename));
    const index = (kind === "fixed" ? await FixedIndexWriter.create(file, { chunkSize }) : await DynamicIndexWriter.create(file)) as
      K extends "fixed" ? FixedIndexWriter : DynamicIndexWriter;
    let csum: Buffer;
    try {
      await fill(index, stats);
      if (kind === "fixed" && stats.size === 0) throw new CofferError("BAD_REQUEST", `image archive '${archive}' is empty`);
      csum = await index.close();
    } catch (err) {
      await index.abort();
      throw err;
    }
    this.addFile(filename, stats.size, csum.toString("hex"));
    this.log.info(`${filename}: ${stats.chunks} chunks, ${stats.reusedChunks} reused, ${stats.size} bytes`);
    return stats;
  }

  /**
   * Writes the manifest, the last file of a backup; only then is the snapshot finished.
   * `notes` become the snapshot notes; `protect` marks it protected; `unprotected` adds keys to
   * the manifest's unprotected section (e.g. the sources' change-detection records).
   */
  async finish(opts: { notes?: string; protect?: boolean; unprotected?: Record<string, unknown> } = {}): Promise<SnapshotRef> {
    this.assertOpen();
    if (this.files.length === 0) {
      throw new CofferError("BAD_REQUEST", "backup does not contain valid files (file count == 0)");
    }
    if (this.previous !== undefined) {
      const base = { ...this.snapshot, time: this.previous };
      if (!(await this.store.backend.exists(snapshotRel(this.ns, base)))) {
        throw new CofferError(
          "CONFLICT",
          `base snapshot ${snapshotDisplay(this.ns, base)} was removed during backup, cannot finish as chunks might be missing`,
        );
      }
    }
    const manifest: BackupManifest = {
      "backup-type": this.snapshot.type,
      "backup-id": this.snapshot.id,
      "backup-time": this.snapshot.time,
      files: this.files,
      unprotected: { ...opts.unprotected, chunk_upload_stats: { ...this.stats } },
      signature: null,
    };
    if (opts.notes) manifest.unprotected.notes = opts.notes;
    if (opts.protect) await this.store.backend.createFileExclusive(this.path(PROTECTED_MARKER), "");
    await this.store.backend.writeFileAtomic(this.path(MANIFEST_BLOB_NAME), serializeManifest(manifest));
    this.log.info(`backup finished: ${snapshotDisplay(this.ns, this.snapshot)} (${this.files.length} files)`);
    await this.close();
    return this.snapshot;
  }

  /** Gives up: removes the new snapshot directory; the previous snapshot is untouched. */
  async abort(reason?: unknown): Promise<void> {
    if (this.done) return;
    if (reason !== undefined) this.log.warn(`backup aborted: ${errorMessage(reason)}`);
    try {
      await this.store.backend.removeTree(snapshotRel(this.ns, this.snapshot));
    } finally {
      await this.close();
    }
  }

  /**
   * Releases everything and leaves the snapshot unfinished, exactly as a writer killed before its
   * manifest would. Only the demo store and tests use this, to show and exercise that state.
   */
  async detach(): Promise<void> {
    if (!this.done) await this.close();
  }

  private async close(): Promise<void> {
    this.done = true;
    try {
      await this.unregister();
    } finally {
      const [group, ...rest] = this.locks;
      for (const l of rest.reverse()) await l.release();
      await group?.release();
    }
  }
}

/** Yields exactly `size`-byte pieces (the last may be shorter) from a stream of any buffer sizes. */
export async function* rechunk(source: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingLen = 0;
  for await (const piece of source) {
    let buf = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    while (pendingLen + buf.length >= size) {
      const take = size - pendingLen;
      pending.push(buf.subarray(0, take));
      yield Buffer.concat(pending, size);
      buf = buf.subarray(take);
      pending = [];
      pendingLen = 0;
    }
    if (buf.length > 0) {
      // Copy: the source may reuse its buffer for the next read.
      pending.push(Buffer.from(buf));
      pendingLen += buf.length;
    }
  }
  if (pendingLen > 0) yield Buffer.concat(pending, pendingLen);
}

/** Cuts a stream at the boundaries the rolling-hash chunker finds. */
export async function* contentDefinedChunks(source: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  const chunker = new Chunker();
  let pending: Buffer[] = [];
  let pendingLen = 0;
  for await (const piece of source) {
    let buf = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    while (buf.length > 0) {
      const boundary = chunker.scan(buf);
      if (boundary === 0) {
        pending.push(Buffer.from(buf));
        pendingLen += buf.length;
        break;
      }
      pending.push(buf.subarray(0, boundary));
      pendingLen += boundary;
      yield Buffer.concat(pending, pendingLen);
      pending = [];
      pendingLen = 0;
      buf = buf.subarray(boundary);
    }
  }
  if (pendingLen > 0) yield Buffer.concat(pending, pendingLen);
}
