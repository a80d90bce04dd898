/**
 * `.didx` dynamic chunk indexes, for archives cut by content (reference 1.6): a 4096-byte header
 * (magic, uuid[16], ctime i64, index_csum[32], reserved), then 40-byte entries
 * `{end u64 LE, digest[32]}`; index_csum = sha256 over all entries as stored (end_le ‖ digest).
 * The archive size is the last entry's end.
 */
import { createHash } from "node:crypto";
import { CofferError } from "../model/errors";
import {
  type ChunkRange,
  generateUuid,
  INDEX_HEADER_SIZE,
  type IndexChecksum,
  indexFileAt,
  type IndexLocation,
  OFF_INDEX_CSUM,
  readIndexFile,
  readU64,
} from "./fixed-index";
import type { IndexTempFile } from "./index-file";

export const DYNAMIC_INDEX_MAGIC = Uint8Array.of(28, 145, 78, 165, 25, 186, 179, 205);
const ENTRY_SIZE = 40;
const OFF_UUID = 8;
const OFF_CTIME = 24;

const corrupt = (msg: string) => new CofferError("INTERNAL", msg);

export class DynamicIndexReader {
  private constructor(
    private readonly entries: Buffer,
    readonly uuid: Buffer,
    /** From the header (PBS's reader reports the time of opening instead; the header is right). */
    readonly ctime: number,
    readonly headerCsum: Buffer,
  ) {}

  static fromBuffer(raw: Uint8Array): DynamicIndexReader {
    const buf = Buffer.from(raw.buffer, raw.byteOffset, raw.length);
    if (buf.length < INDEX_HEADER_SIZE) throw corrupt(`index too small (${buf.length})`);
    if (!buf.subarray(0, 8).equals(DYNAMIC_INDEX_MAGIC)) throw corrupt("got unknown magic number");
    if ((buf.length - INDEX_HEADER_SIZE) % ENTRY_SIZE !== 0) throw corrupt("got unexpected file size");
    return new DynamicIndexReader(
      buf.subarray(INDEX_HEADER_SIZE),
      buf.subarray(OFF_UUID, OFF_UUID + 16),
      Number(buf.readBigInt64LE(OFF_CTIME)),
      buf.subarray(OFF_INDEX_CSUM, OFF_INDEX_CSUM + 32),
    );
  }

  /** Errors read `Unable to open dynamic index "<path>" - <cause>`, as PBS's. */
  static open(file: IndexLocation): Promise<DynamicIndexReader> {
    return readIndexFile(file, "dynamic", (b) => DynamicIndexReader.fromBuffer(b));
  }

  get count(): number {
    return this.entries.length / ENTRY_SIZE;
  }

  private check(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.count) {
      throw new CofferError("BAD_REQUEST", `chunk index ${i} out of range (0..${this.count})`);
    }
  }

  /** End offset (exclusive) of chunk `i` in the archive. */
  end(i: number): number {
    this.check(i);
    return readU64(this.entries, i * ENTRY_SIZE, "chunk end");
  }

  digest(i: number): Buffer {
    this.check(i);
    return this.entries.subarray(i * ENTRY_SIZE + 8, (i + 1) * ENTRY_SIZE);
  }

  *digests(): IterableIterator<Buffer> {
    for (let i = 0; i < this.count; i++) yield this.digest(i);
  }

  chunkRange(i: number): ChunkRange {
    return { start: i === 0 ? 0 : this.end(i - 1), end: this.end(i) };
  }

  /** Archive size: the end of the last chunk (0 when empty). */
  get size(): number {
    return this.count === 0 ? 0 : this.end(this.count - 1);
  }

  /** Binary search for the chunk holding byte `offset`. */
  chunkFromOffset(offset: number): { index: number; offset: number } | undefined {
    if (offset < 0 || offset >= this.size) return undefined;
    let lo = 0;
    let hi = this.count - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (offset < this.end(mid)) hi = mid;
      else lo = mid + 1;
    }
    return { index: lo, offset: offset - this.chunkRange(lo).start };
  }

  computeCsum(): { csum: Buffer; size: number } {
    return { csum: createHash("sha256").update(this.entries).digest(), size: this.size };
  }

  indexChecksum(): IndexChecksum {
    const { csum, size } = this.computeCsum();
    return { csum: csum.toString("hex"), size };
  }
}

/**
 * Writes a `.didx` to `<name>.tmp_didx` next to its final path and renames it into place on
 * `close`. Entries must come in archive order with strictly growing ends (PBS checks this one
 * layer up, in the backup API; an index that breaks it cannot be searched). Entries are kept in
 * memory until `close` (40 bytes per chunk: 10 MiB for 1 TiB of 4 MiB chunks).
 */
export class DynamicIndexWriter {
  private parts: Buffer[] = [];
  private pending = Buffer.alloc(1024 * ENTRY_SIZE);
  private pendingLength = 0;
  private lastEnd = 0;
  private closed = false;
  private readonly hash = createHash("sha256");

  private constructor(
    private file: IndexTempFile | undefined,
    readonly path: string,
    readonly uuid: Buffer,
    readonly ctime: number,
  ) {}

  static async create(where: IndexLocation): Promise<DynamicIndexWriter> {
    const file = indexFileAt(where);
    const temp = await file.createTemp("tmp_didx");
    return new DynamicIndexWriter(temp, file.display, generateUuid(), Math.floor(Date.now() / 1000));
  }

  /** The temp file being written (undefined once closed or aborted). */
  get tmpPath(): string | undefined {
    return this.file?.display;
  }

  get indexLength(): number {
    return (this.parts.length * this.pending.length + this.pendingLength) / ENTRY_SIZE;
  }

  /** Archive size so far. */
  get size(): number {
    return this.lastEnd;
  }

  /** Appends the chunk that ends at `end` (PBS `add_chunk(offset, digest)`). */
  addChunk(end: number, digest: Uint8Array): void {
    if (this.closed) {
      throw new CofferError("INTERNAL", `cannot write to closed dynamic index file ${JSON.stringify(this.path)}`);
    }
    if (digest.length !== 32) throw new CofferError("BAD_REQUEST", `digest must be 32 bytes, got ${digest.length}`);
    if (!Number.isSafeInteger(end) || end <= this.lastEnd) {
      throw new CofferError("BAD_REQUEST", `chunk end ${end} does not follow the previous end ${this.lastEnd}`);
    }
    if (this.pendingLength === this.pending.length) {
      this.parts.push(this.pending);
      this.pending = Buffer.alloc(this.pending.length);
      this.pendingLength = 0;
    }
    const entry = this.pending.subarray(this.pendingLength, this.pendingLength + ENTRY_SIZE);
    entry.writeBigUInt64LE(BigInt(end), 0);
    entry.set(digest, 8);
    this.hash.update(entry);
    this.pendingLength += ENTRY_SIZE;
    this.lastEnd = end;
  }

  /** Writes header and entries, renames the temp file into place; returns the index checksum. */
  async close(): Promise<Buffer> {
    if (this.closed) {
      throw new CofferError("INTERNAL", `cannot close already closed archive index file ${JSON.stringify(this.path)}`);
    }
    try {
      this.closed = true;
      const csum = this.hash.digest();
      const header = Buffer.alloc(INDEX_HEADER_SIZE);
      header.set(DYNAMIC_INDEX_MAGIC, 0);
      header.set(this.uuid, OFF_UUID);
      header.writeBigInt64LE(BigInt(this.ctime), OFF_CTIME);
      header.set(csum, OFF_INDEX_CSUM);
      const body = Buffer.concat([header, ...this.parts, this.pending.subarray(0, this.pendingLength)]);
      await this.file!.write(body);
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

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.file) await this.abort();
  }
}
