/**
 * `.fidx` fixed-size chunk indexes, for images (reference 1.6): a 4096-byte header (magic,
 * uuid[16], ctime i64, index_csum[32], size u64, chunk_size u64, reserved), then one 32-byte
 * digest per chunk; index_csum = sha256 over all digests. Integers are little-endian.
 *
 * Also holds what both index formats share (header size, u64 fields, temp names, checksums).
 */
import { createHash, randomBytes } from "node:crypto";
import { CofferError, errorMessage, isErrno } from "../model/errors";
import { type IndexFile, type IndexTempFile, localIndexFile } from "./index-file";

export const INDEX_HEADER_SIZE = 4096;
export const FIXED_INDEX_MAGIC = Uint8Array.of(47, 127, 65, 237, 145, 253, 15, 205);
const DIGEST_SIZE = 32;
const OFF_UUID = 8;
const OFF_CTIME = 24;
export const OFF_INDEX_CSUM = 32;
const OFF_SIZE = 64;
const OFF_CHUNK_SIZE = 72;

/** PBS `verify_chunk_size`: 64 KiB to 4 MiB, powers of two. */
export const ALLOWED_FIXED_CHUNK_SIZES: readonly number[] = [16, 17, 18, 19, 20, 21, 22].map((e) => 2 ** e);
export const DEFAULT_FIXED_CHUNK_SIZE = 4 * 1024 * 1024;

export function verifyChunkSize(size: number): void {
  if (!ALLOWED_FIXED_CHUNK_SIZES.includes(size)) {
    throw new CofferError("BAD_REQUEST", `Got unsupported chunk size '${size}'`);
  }
}

/** Byte range of one chunk inside the archive. */
export interface ChunkRange {
  start: number;
  end: number;
}

/** What a manifest entry records for an index: its checksum (hex) and logical size. */
export interface IndexChecksum {
  csum: string;
  size: number;
}

const corrupt = (msg: string) => new CofferError("INTERNAL", msg);

export function readU64(buf: Buffer, offset: number, what: string): number {
  const v = buf.readBigUInt64LE(offset);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt(`${what} ${v} is out of range`);
  return Number(v);
}

/** Random RFC 4122 version 4 uuid bytes, as proxmox_uuid's `Uuid::generate`. */
export function generateUuid(): Buffer {
  const b = randomBytes(16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  return b;
}

/** An index file from the backend, or a local path (tests and tools). */
export type IndexLocation = IndexFile | string;

export const indexFileAt = (where: IndexLocation): IndexFile => (typeof where === "string" ? localIndexFile(where) : where);

/** Reads and parses an index file; errors read as PBS's `Unable to open fixed index "<path>" - <cause>`. */
export async function readIndexFile<T>(where: IndexLocation, kind: string, parse: (b: Buffer) => T): Promise<T> {
  const file = indexFileAt(where);
  try {
    return parse(await file.read());
  } catch (err) {
    const code = err instanceof CofferError ? err.code : isErrno(err, "ENOENT") ? "NOT_FOUND" : "INTERNAL";
    throw new CofferError(code, `Unable to open ${kind} index ${JSON.stringify(file.display)} - ${errorMessage(err)}`, {
      cause: err,
    });
  }
}

export class FixedIndexReader {
  private constructor(
    private readonly index: Buffer,
    readonly uuid: Buffer,
    readonly ctime: number,
    /** The checksum stored in the header (compare with `computeCsum`). */
    readonly headerCsum: Buffer,
    /** Image size in bytes. */
    readonly size: number,
    readonly chunkSize: number,
  ) {}

  static fromBuffer(raw: Uint8Array): FixedIndexReader {
    const buf = Buffer.from(raw.buffer, raw.byteOffset, raw.length);
    if (buf.length < INDEX_HEADER_SIZE) throw corrupt(`index too small (${buf.length})`);
    if (!buf.subarray(0, 8).equals(FIXED_INDEX_MAGIC)) throw corrupt("got unknown magic number");
    const size = readU64(buf, OFF_SIZE, "index size");
    const chunkSize = readU64(buf, OFF_CHUNK_SIZE, "chunk size");
    // Any power of two is readable; only writing is limited to PBS's allowed sizes.
    if (chunkSize > 2 ** 30) throw corrupt(`got unsupported fixed chunk size: ${chunkSize}`);
    if (chunkSize === 0 || (chunkSize & (chunkSize - 1)) !== 0) {
      throw corrupt(`got non-power-of-two chunk size: ${chunkSize}`);
    }
    const indexSize = Math.ceil(size / chunkSize) * DIGEST_SIZE;
    const expected = buf.length - INDEX_HEADER_SIZE;
    if (indexSize !== expected) throw corrupt(`got unexpected file size (${indexSize} != ${expected})`);
    if (indexSize === 0) throw corrupt("index must not be empty");
    return new FixedIndexReader(
      buf.subarray(INDEX_HEADER_SIZE),
      buf.subarray(OFF_UUID, OFF_UUID + 16),
      Number(buf.readBigInt64LE(OFF_CTIME)),
      buf.subarray(OFF_INDEX_CSUM, OFF_INDEX_CSUM + 32),
      size,
      chunkSize,
    );
  }

  /** Errors read `Unable to open fixed index "<path>" - <cause>`, as PBS's. */
  static open(file: IndexLocation): Promise<FixedIndexReader> {
    return readIndexFile(file, "fixed", (b) => FixedIndexReader.fromBuffer(b));
  }

  get count(): number {
    return this.index.length / DIGEST_SIZE;
  }

  digest(i: number): Buffer {
    if (!Number.isInteger(i) || i < 0 || i >= this.count) {
      throw new CofferError("BAD_REQUEST", `chunk index ${i} out of range (0..${this.count})`);
    }
    return this.index.subarray(i * DIGEST_SIZE, (i + 1) * DIGEST_SIZE);
  }

  *digests(): IterableIterator<Buffer> {
    for (let i = 0; i < this.count; i++) yield this.digest(i);
  }

  /** The last chunk may be shorter than `chunkSize`. */
  chunkRange(i: number): ChunkRange {
    this.digest(i);
    const start = i * this.chunkSize;
    return { start, end: Math.min(start + this.chunkSize, this.size) };
  }

  /** Which chunk holds byte `offset`, and where inside it. */
  chunkFromOffset(offset: number): { index: number; offset: number } | undefined {
    if (offset < 0 || offset >= this.size) return undefined;
    return { index: Math.floor(offset / this.chunkSize), offset: offset % this.chunkSize };
  }

  /** PBS `compute_csum`: sha256 over the digests, and the end of the last chunk. */
  computeCsum(): { csum: Buffer; size: number } {
    const csum = createHash("sha256").update(this.index).digest();
    return { csum, size: this.count === 0 ? 0 : this.chunkRange(this.count - 1).end };
  }

  indexChecksum(): IndexChecksum {
    const { csum, size } = this.computeCsum();
    return { csum: csum.toString("hex"), size };
  }
}

/**
 * Writes a `.fidx` to `<name>.tmp_fidx` next to its final path and renames it into place on
 * `close`. Digests may arrive in any order. A writer created without a size grows as chunks come
 * (PBS 4.2 `grow_to_size`) until a chunk shorter than the chunk size fixes the size. Every
 * failure of `close` removes the temp file, as dropping the PBS writer does.
 */
export class FixedIndexWriter {
  /** As PBS: as many digests as fit in a header's worth of bytes. */
  static readonly INITIAL_CAPACITY = 4096 / DIGEST_SIZE;

  private index: Buffer;
  private closed = false;

  private constructor(
    private file: IndexTempFile | undefined,
    readonly path: string,
    readonly chunkSize: number,
    private sizeBytes: number,
    private length: number,
    private capacity: number,
    private growable: boolean,
    readonly uuid: Buffer,
    readonly ctime: number,
  ) {
    this.index = Buffer.alloc(capacity * DIGEST_SIZE);
  }

  static async create(where: IndexLocation, opts: { size?: number; chunkSize: number }): Promise<FixedIndexWriter> {
    verifyChunkSize(opts.chunkSize);
    const known = opts.size;
    if (known !== undefined && (!Number.isSafeInteger(known) || known <= 0)) {
      throw new CofferError("BAD_REQUEST", "fidx file must have at least one chunk");
    }
    const file = indexFileAt(where);
    const temp = await file.createTemp("tmp_fidx");
    const length = known === undefined ? 0 : Math.ceil(known / opts.chunkSize);
    const capacity = known === undefined ? FixedIndexWriter.INITIAL_CAPACITY : length;
    return new FixedIndexWriter(
      temp,
      file.display,
      opts.chunkSize,
      known ?? 0,
      length,
      capacity,
      known === undefined,
      generateUuid(),
      Math.floor(Date.now() / 1000),
    );
  }

  /** Content size so far (the final size once fixed). */
  get size(): number {
    return this.sizeBytes;
  }

  get indexLength(): number {
    return this.length;
  }

  get indexCapacity(): number {
    return this.capacity;
  }

  private assertOpen(): void {
    if (this.closed) throw new CofferError("INTERNAL", "cannot write to closed index file.");
  }

  private setCapacity(capacity: number): void {
    if (capacity === this.capacity) return;
    const next = Buffer.alloc(capacity * DIGEST_SIZE);
    this.index.copy(next, 0, 0, Math.min(this.index.length, next.length));
    this.index = next;
    this.capacity = capacity;
  }

  /**
   * Grows the content size to at least `requested`. Only a writer created without a size grows,
   * and its size becomes fixed once it is not a multiple of the chunk size: only the last chunk
   * may be short.
   */
  growToSize(requested: number): void {
    this.assertOpen();
    if (requested <= this.sizeBytes) return;
    if (!this.growable) {
      throw new CofferError("BAD_REQUEST", `refusing to resize from ${this.sizeBytes} to ${requested}`);
    }
    const newLength = Math.ceil(requested / this.chunkSize);
    if (newLength * this.chunkSize !== requested) {
      this.growable = false;
      this.setCapacity(newLength);
    } else if (newLength > this.capacity) {
      this.setCapacity(2 ** Math.ceil(Math.log2(newLength)));
    }
    this.length = newLength;
    this.sizeBytes = requested;
  }

  /** Index of the chunk ending at `offset`; texts as PBS's (including its unclosed parens). */
  checkChunkAlignment(offset: number, chunkLen: number): number {
    if (offset < chunkLen) throw badChunk(`got chunk with small offset (${offset} < ${chunkLen}`);
    const pos = offset - chunkLen;
    if (offset > this.sizeBytes) throw badChunk(`chunk data exceeds size (${offset} >= ${this.sizeBytes})`);
    if ((offset !== this.sizeBytes && chunkLen !== this.chunkSize) || chunkLen > this.chunkSize || chunkLen === 0) {
      throw badChunk(`chunk with unexpected length (${chunkLen} != ${this.chunkSize}`);
    }
    if (pos % this.chunkSize !== 0) throw badChunk(`got unaligned chunk (pos = ${pos})`);
    return pos / this.chunkSize;
  }

  addDigest(index: number, digest: Uint8Array): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) {
      throw badChunk(`add digest failed - index out of range (${index} >= ${this.length})`);
    }
    this.assertOpen();
    this.setDigest(index, digest);
  }

  private setDigest(index: number, digest: Uint8Array): void {
    if (digest.length !== DIGEST_SIZE) throw badChunk(`digest must be 32 bytes, got ${digest.length}`);
    this.index.set(digest, index * DIGEST_SIZE);
  }

  /** Records the chunk covering `[start, start + size)`, growing a size-less writer as needed. */
  addChunk(start: number, size: number, digest: Uint8Array): void {
    const end = start + size;
    if (!Number.isSafeInteger(end)) throw badChunk(`add_chunk: start and size are too large: ${start}+${size}`);
    this.growToSize(end);
    this.addDigest(this.checkChunkAlignment(end, size), digest);
  }

  /**
   * Copies the digests of `reader` to the start of this index (an incremental backup reusing the
   * previous one). A growable writer widens its capacity to hold them without changing its size.
   */
  cloneDataFrom(reader: FixedIndexReader): void {
    this.assertOpen();
    if (this.chunkSize !== reader.chunkSize) {
      throw new CofferError("BAD_REQUEST", "can't reuse file with different chunk size");
    }
    if (this.growable && this.capacity < reader.count) this.setCapacity(reader.count);
    const n = Math.min(reader.count, this.capacity);
    for (let i = 0; i < n; i++) this.setDigest(i, reader.digest(i));
  }

  /** Writes header and digests, renames the temp file into place; returns the index checksum. */
  async close(): Promise<Buffer> {
    if (this.closed) throw new CofferError("INTERNAL", "cannot close already closed index file.");
    try {
      if (this.length === 0) throw new CofferError("BAD_REQUEST", "fidx file must have at least one chunk");
      const digests = this.index.subarray(0, this.length * DIGEST_SIZE);
      const csum = createHash("sha256").update(digests).digest();
      const header = Buffer.alloc(INDEX_HEADER_SIZE);
      header.set(FIXED_INDEX_MAGIC, 0);
      header.set(this.uuid, OFF_UUID);
      header.writeBigInt64LE(BigInt(this.ctime), OFF_CTIME);
      header.set(csum, OFF_INDEX_CSUM);
      header.writeBigUInt64LE(BigInt(this.sizeBytes), OFF_SIZE);
      header.writeBigUInt64LE(BigInt(this.chunkSize), OFF_CHUNK_SIZE);
      this.closed = true;
      await this.file!.write(Buffer.concat([header, digests]));
      await this.file!.commit();
      this.file = undefined;
      return csum;
    } catch (err) {
      await this.abort();
      throw err;
    }
  }

  /** Gives up: closes and removes the temp file. Safe to call more than once. */
  async abort(): Promise<void> {
    this.closed = true;
    await this.file?.discard();
    this.file = undefined;
  }

  /** The temp file being written (undefined once closed or aborted). */
  get tmpPath(): string | undefined {
    return this.file?.display;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.file) await this.abort();
  }
}

const badChunk = (msg: string) => new CofferError("BAD_REQUEST", msg);
