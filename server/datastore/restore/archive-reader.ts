/**
 * Reading one archive of a finished snapshot for the browser: the archive's bytes in order, or
 * any range of them (random access over the index), every chunk checked against its digest and
 * the length the index gives it, as restore.ts and verify do. A chunk that fails the check ends
 * the read with an error; nothing unchecked is ever handed out.
 *
 * Opening takes the shared snapshot lock (PBS's reader lock: the snapshot cannot be pruned,
 * moved or deleted while a download runs) and keeps it until `close`. The archive name is only
 * ever looked up in the manifest's file list, so no path is built from what a caller typed.
 */
import { createHash } from "node:crypto";
import { CofferError, isErrno, withContext } from "../model/errors";
import { decodeBlob, decodeChunk } from "../format/blob";
import { DynamicIndexReader } from "../format/dynamic-index";
import { FixedIndexReader } from "../format/fixed-index";
import { verifyManifestFile, type BackupManifest, type ManifestFile } from "../format/manifest";
import { inSnapshot, snapshotDisplay } from "../storage/layout";
import { lockSnapshot, type LockGuard } from "../locking/locks";
import type { BackupNamespace, SnapshotRef } from "../model/names";
import { readStoreOf, type ReadHandle } from "../open";
import type { Store } from "../storage/store";

/** What the console calls the three archive kinds. */
export type ArchiveKind = "image" | "directory" | "blob";

export interface ArchiveInfo {
  /** The file in the snapshot, e.g. `drive-scsi0.img.fidx`. */
  filename: string;
  kind: ArchiveKind;
  /** Image and directory archives: the archive's size; blobs: the stored blob's size (the file is known once decoded). */
  size: number;
  "crypt-mode": ManifestFile["crypt-mode"];
}

export function archiveKind(filename: string): ArchiveKind | undefined {
  if (filename.endsWith(".fidx")) return "image";
  if (filename.endsWith(".didx")) return "directory";
  if (filename.endsWith(".blob")) return "blob";
  return undefined;
}

type Index = FixedIndexReader | DynamicIndexReader;

/** Chunks kept decoded for random access (directory listings read headers close together). */
const CACHE_CHUNKS = 4;
/** Chunks read ahead when streaming the whole archive. */
const READ_AHEAD = 3;

/** Reads the manifest of a finished snapshot; NOT_FOUND / BAD_REQUEST with the snapshot named. */
async function finishedManifest(handle: ReadHandle, ns: BackupNamespace, snap: SnapshotRef): Promise<BackupManifest> {
  const display = snapshotDisplay(ns, snap);
  const info = await handle.snapshotFiles(ns, snap).catch((err: unknown) => {
    throw new CofferError("NOT_FOUND", `snapshot ${display} does not exist`, { cause: err });
  });
  if (!info.finished) throw new CofferError("BAD_REQUEST", `snapshot ${display} is unfinished (it has no manifest): nothing can be restored from it`);
  try {
    return await handle.readManifest(ns, snap);
  } catch (err) {
    if (isErrno(err, "ENOENT")) throw new CofferError("BAD_REQUEST", `snapshot ${display} is unfinished (it has no manifest)`);
    throw err;
  }
}

/** The archives of a finished snapshot, from its manifest (the manifest itself left out). */
export async function listArchives(handle: ReadHandle, ns: BackupNamespace, snap: SnapshotRef): Promise<ArchiveInfo[]> {
  const manifest = await finishedManifest(handle, ns, snap);
  const out: ArchiveInfo[] = [];
  for (const f of manifest.files) {
    const kind = archiveKind(f.filename);
    if (kind) out.push({ filename: f.filename, kind, size: f.size, "crypt-mode": f["crypt-mode"] });
  }
  return out;
}

/** An open archive: its index (or blob), and verified reads. Close it to release the lock. */
export class ArchiveReader {
  private readonly cache = new Map<number, Promise<Buffer>>();

  private constructor(
    private readonly store: Store,
    readonly display: string,
    readonly file: ArchiveInfo,
    private readonly index: Index | undefined,
    private readonly blob: Buffer | undefined,
    private readonly guard: LockGuard,
    /** Identifies the archive's content (store, snapshot, file, checksum): for caches. */
    readonly cacheKey: string,
  ) {}

  /**
   * Opens `filename` of a finished snapshot. `filename` must be one of the manifest's files
   * (compared as a string: it never becomes a path before it matched). Takes the shared snapshot
   * lock (no waiting: a snapshot being deleted or moved is a CONFLICT) and checks the index, or
   * the blob, against the manifest.
   */
  static async open(handle: ReadHandle, ns: BackupNamespace, snap: SnapshotRef, filename: string): Promise<ArchiveReader> {
    const store = readStoreOf(handle);
    const display = snapshotDisplay(ns, snap);
    const guard = await lockSnapshot(store.name, ns, snap, "shared").catch((err: unknown) => {
      throw withContext(`unable to lock snapshot ${display} for reading`, err);
    });
    try {
      const manifest = await finishedManifest(handle, ns, snap);
      const entry = manifest.files.find((f) => f.filename === filename);
      const kind = entry ? archiveKind(entry.filename) : undefined;
      if (!entry || !kind) {
        const names = manifest.files.map((f) => f.filename).filter((n) => archiveKind(n));
        throw new CofferError("NOT_FOUND", `snapshot ${display} has no archive '${filename}' (it has: ${names.join(", ") || "none"})`);
      }
      const info: ArchiveInfo = { filename: entry.filename, kind, size: entry.size, "crypt-mode": entry["crypt-mode"] };
      if (entry["crypt-mode"] === "encrypt") {
        throw new CofferError("BAD_REQUEST", `archive '${filename}' of ${display} is encrypted: it can only be restored with its key, by the client that wrote it`);
      }
      const key = [store.name, display, entry.filename, entry.csum].join("\0");
      const raw = await store.backend.readFile(inSnapshot(ns, snap, entry.filename));
      if (kind === "blob") {
        verifyManifestFile(manifest, entry.filename, raw.length, createHash("sha256").update(raw).digest("hex"));
        const data = decodeBlob(raw);
        return new ArchiveReader(store, display, { ...info, size: data.length }, undefined, data, guard, key);
      }
      const index: Index = kind === "image" ? FixedIndexReader.fromBuffer(raw) : DynamicIndexReader.fromBuffer(raw);
      const sum = index.indexChecksum();
      verifyManifestFile(manifest, entry.filename, sum.size, sum.csum);
      return new ArchiveReader(store, display, { ...info, size: index.size }, index, undefined, guard, key);
    } catch (err) {
      await guard.release();
      throw withContext(`unable to read '${filename}' of ${display}`, err);
    }
  }

  /** The archive's plain size in bytes (a blob: its decoded data). */
  get size(): number {
    return this.file.size;
  }

  /** Aborted when the snapshot lock was lost: a long download stops instead of reading on. */
  get signal(): AbortSignal {
    return this.guard.signal;
  }

  async close(): Promise<void> {
    this.cache.clear();
    await this.guard.release();
  }

  /** Chunk `i`, decoded and checked against its digest and the length the index gives it. */
  private async loadChunk(index: Index, i: number): Promise<Buffer> {
    const digest = index.digest(i);
    const hex = digest.toString("hex");
    let data: Buffer;
    try {
      data = decodeChunk(await this.store.backend.chunks.readChunk(digest), digest);
    } catch (err) {
      throw withContext(`chunk ${hex} of '${this.file.filename}' in ${this.display} failed verification`, err);
    }
    const { start, end } = index.chunkRange(i);
    if (data.length !== end - start) {
      throw new CofferError("INTERNAL", `chunk ${hex} of '${this.file.filename}' in ${this.display} has ${data.length} bytes, the index says ${end - start}`);
    }
    return data;
  }

  private cachedChunk(index: Index, i: number): Promise<Buffer> {
    let p = this.cache.get(i);
    if (!p) {
      p = this.loadChunk(index, i);
      p.catch(() => this.cache.delete(i));
      this.cache.set(i, p);
      while (this.cache.size > CACHE_CHUNKS) this.cache.delete(this.cache.keys().next().value!);
    }
    return p;
  }

  /** Exactly `length` bytes at `offset` (random access: only the chunks holding them are read). */
  async readAt(offset: number, length: number): Promise<Buffer> {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.size) {
      throw new CofferError("INTERNAL", `invalid archive stream: read of ${length} bytes at ${offset} is outside '${this.file.filename}' (${this.size} bytes)`);
    }
    if (this.blob) return this.blob.subarray(offset, offset + length);
    const parts: Buffer[] = [];
    for await (const p of this.range(offset, length)) parts.push(p);
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /**
   * The bytes `[offset, offset + length)` in pieces, in order. Whole-archive reads read a few
   * chunks ahead; short reads go through a small cache, since a directory listing reads many
   * small headers from the same chunk.
   */
  async *range(offset = 0, length = this.size - offset, signal?: AbortSignal): AsyncGenerator<Buffer> {
    if (length === 0) return;
    if (this.blob) {
      yield this.blob.subarray(offset, offset + length);
      return;
    }
    const index = this.index!;
    const first = index.chunkFromOffset(offset);
    const last = index.chunkFromOffset(offset + length - 1);
    if (!first || !last) throw new CofferError("INTERNAL", `invalid archive stream: range ${offset}+${length} is outside '${this.file.filename}'`);
    const streaming = last.index - first.index >= 2;
    const ahead: Promise<Buffer>[] = [];
    const load = (i: number) => {
      const p = streaming ? this.loadChunk(index, i) : this.cachedChunk(index, i);
      p.catch(() => undefined);
      return p;
    };
    try {
      for (let i = first.index; i <= last.index; i++) {
        signal?.throwIfAborted();
        this.guard.signal.throwIfAborted();
        while (ahead.length < (streaming ? READ_AHEAD : 1) && i + ahead.length <= last.index) ahead.push(load(i + ahead.length));
        const data = await ahead.shift()!;
        const { start } = index.chunkRange(i);
        const from = i === first.index ? offset - start : 0;
        const to = i === last.index ? offset + length - start : data.length;
        yield from === 0 && to === data.length ? data : data.subarray(from, to);
      }
    } finally {
      await Promise.allSettled(ahead);
    }
  }
}
