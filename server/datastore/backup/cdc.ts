/**
 * A faster scanner for PBS's content-defined chunking that cuts exactly where
 * format/chunker.ts's `Chunker` does (cdc.test.ts compares the two on random and repetitive
 * data split into pieces of every size). Directory streams are cut here, and the chunker was
 * the slowest step of a directory backup (about 260 MB/s against sha256's 1.2 GB/s).
 *
 * Why it is faster, with the same cuts:
 *  - The rolling hash only depends on the last 64 bytes (64 one-bit rotations of 32 bits are
 *    the identity, so each byte's term cancels itself when it leaves the window), and a cut is
 *    only considered once a chunk has `minSize` bytes. So the first `minSize - 64` bytes of a
 *    chunk are skipped without hashing: a quarter of an average chunk.
 *  - The table is an Int32Array: V8 keeps its values as 32-bit integers, where Uint32Array
 *    values above 2^31 fall out of the small-integer fast path.
 *  - The byte leaving the window is read from the input itself, not from a copy of the window;
 *    only the 64 bytes carried over from the previous piece use the copy.
 */
import { CofferError } from "../model/errors";
import { BUZHASH_TABLE, CHUNKER_WINDOW_SIZE, DEFAULT_AVG_CHUNK_SIZE } from "../format/chunker";

const TABLE = Int32Array.from(BUZHASH_TABLE, (v) => v | 0);
const W = CHUNKER_WINDOW_SIZE;

export class FastChunker {
  readonly minSize: number;
  readonly maxSize: number;
  private readonly breakMask: number;
  private readonly breakMinimum: number;
  /** Bytes of the current chunk seen so far (skipped ones included). */
  private chunkSize = 0;
  private h = 0;
  /** The last up to 64 bytes of the previous piece that are inside the current window. */
  private carry = new Uint8Array(W);
  private carryLen = 0;

  constructor(avgSize = DEFAULT_AVG_CHUNK_SIZE) {
    // Below this the minimum is shorter than the window, and skipping would change the cuts.
    if (!Number.isInteger(Math.log2(avgSize)) || avgSize < 4 * W || avgSize > 2 ** 28) {
      throw new CofferError("BAD_REQUEST", `unsupported average chunk size ${avgSize} - a power of two from ${4 * W} to 256 MiB`);
    }
    this.minSize = avgSize / 4;
    this.maxSize = avgSize * 4;
    this.breakMask = avgSize * 2 - 1;
    this.breakMinimum = this.breakMask - 2;
  }

  /** As `Chunker.scan`: the position just after a cut in `data`, or 0 when there is none yet. */
  scan(data: Uint8Array): number {
    const len = data.length;
    const { minSize, maxSize, breakMask, breakMinimum } = this;
    const windowStart = minSize - W; // hashing starts here in each chunk
    let chunkSize = this.chunkSize;
    let h = this.h;
    let pos = 0;

    // Skip what cannot matter.
    if (chunkSize < windowStart) {
      const skip = Math.min(windowStart - chunkSize, len);
      pos += skip;
      chunkSize += skip;
      this.carryLen = 0; // nothing before the window is ever looked at again
      if (pos === len) {
        this.chunkSize = chunkSize;
        return 0;
      }
    }
    // Fill the window (the first 64 hashed bytes of the chunk) as Chunker does from a chunk's
    // start; the hash then equals Chunker's at the same position.
    if (chunkSize < minSize) {
      while (chunkSize < minSize && pos < len) {
        h = ((h << 1) | (h >>> 31)) ^ TABLE[data[pos]!]!;
        pos++;
        chunkSize++;
      }
      if (chunkSize < minSize) {
        this.remember(data, len);
        this.h = h;
        this.chunkSize = chunkSize;
        return 0;
      }
      // Chunker tests for a cut after the byte that makes the chunk minSize long.
      if ((h & breakMask) >= breakMinimum) return this.cut(pos);
    }
    // Roll. The byte leaving the window entered 64 steps ago: for the first 64 positions of a
    // piece it may be in the carry, after that it is always in `data`.
    const carry = this.carry;
    const carryLen = this.carryLen;
    while (pos < len) {
      const back = pos - W;
      const leave = back >= 0 ? data[back]! : carry[carryLen + back]!;
      h = ((h << 1) | (h >>> 31)) ^ TABLE[leave]! ^ TABLE[data[pos]!]!;
      pos++;
      chunkSize++;
      if ((h & breakMask) >= breakMinimum || chunkSize >= maxSize) return this.cut(pos);
      if (back >= 0) break; // from here on the fast loop below applies
    }
    // The hot loop: the maximum is turned into a bound on `pos`, so each byte costs one test.
    const begin = pos;
    const limit = Math.min(len, pos + (maxSize - chunkSize));
    for (; pos < limit; pos++) {
      h = ((h << 1) | (h >>> 31)) ^ TABLE[data[pos - W]!]! ^ TABLE[data[pos]!]!;
      if ((h & breakMask) >= breakMinimum) return this.cut(pos + 1);
    }
    chunkSize += pos - begin;
    if (chunkSize >= maxSize) return this.cut(pos);
    this.remember(data, len);
    this.h = h;
    this.chunkSize = chunkSize;
    return 0;
  }

  private cut(pos: number): number {
    this.h = 0;
    this.chunkSize = 0;
    this.carryLen = 0;
    return pos;
  }

  /** Keeps the last 64 bytes seen (from the carry and `data`) for the next piece. */
  private remember(data: Uint8Array, len: number): void {
    if (len >= W) {
      this.carry.set(data.subarray(len - W));
      this.carryLen = W;
      return;
    }
    const keep = Math.min(this.carryLen, W - len);
    const next = new Uint8Array(W);
    next.set(this.carry.subarray(this.carryLen - keep, this.carryLen), 0);
    next.set(data, keep);
    this.carry = next;
    this.carryLen = keep + len;
  }
}
