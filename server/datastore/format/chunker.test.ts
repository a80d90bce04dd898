import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { BUZHASH_TABLE as BUZHASH_TABLE_FOR_TEST, Chunker, chunkLengths, DEFAULT_AVG_CHUNK_SIZE } from "./chunker";

const KiB = 1024;
const MiB = 1024 * KiB;

/** Deterministic pseudo-random bytes (xorshift32), so boundaries are reproducible. */
function randomBytes(n: number, seed: number): Uint8Array {
  const words = new Uint32Array(Math.ceil(n / 4));
  let x = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  return new Uint8Array(words.buffer, 0, n);
}

/**
 * PBS's cut rule without the rolling update: the hash of the 64 bytes ending at p is
 * XOR of rotl(T[b], age) over the window, checked once the window is full.
 */
function naiveChunkLengths(data: Uint8Array, avg: number): number[] {
  const table = BUZHASH_TABLE_FOR_TEST;
  const rotl = (v: number, n: number) => ((v << n) | (v >>> (32 - n))) >>> 0;
  const mask = avg * 2 - 1;
  const out: number[] = [];
  let start = 0;
  for (let p = start + 64; p < data.length; p++) {
    const size = p - start + 1;
    let h = 0;
    for (let k = 0; k < 64; k++) h ^= rotl(table[data[p - 63 + k]!]!, (63 - k) % 32);
    if (size >= avg * 4 || (size >= avg / 4 && (h & mask) >= mask - 2)) {
      out.push(size);
      start = p + 1;
      p = start + 63;
    }
  }
  if (start < data.length) out.push(data.length - start);
  return out;
}

function commonSuffix(a: number[], b: number[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[a.length - 1 - n] === b[b.length - 1 - n]) n++;
  return n;
}

describe("Chunker", () => {
  it("cuts the same whether fed byte by byte or all at once (PBS test_chunker1)", () => {
    const buffer = new Uint8Array(256 * KiB * 4);
    for (let i = 0; i < 256 * KiB; i++) new DataView(buffer.buffer).setUint32(i * 4, i, true);

    const single = new Chunker(64 * KiB);
    const bySingle: number[] = [];
    let last = 0;
    for (let pos = 0; pos < buffer.length; pos++) {
      if (single.scan(buffer.subarray(pos, pos + 1)) !== 0) {
        bySingle.push(pos + 1 - last);
        last = pos + 1;
      }
    }
    bySingle.push(buffer.length - last);

    const whole = chunkLengths(buffer, 64 * KiB);
    expect(whole).toEqual(bySingle);
    expect(whole.reduce((a, b) => a + b, 0)).toBe(buffer.length);
    expect(whole.length).toBeGreaterThan(4);
  });

  it("finds the same boundaries however the stream is split", () => {
    const data = randomBytes(3 * MiB, 7);
    const reference = chunkLengths(data, 64 * KiB);
    const chunker = new Chunker(64 * KiB);
    const lengths: number[] = [];
    let chunkStart = 0;
    // Odd piece sizes, so pieces end inside windows and inside chunks.
    for (let pos = 0; pos < data.length; ) {
      const piece = data.subarray(pos, Math.min(pos + 12_345, data.length));
      let off = 0;
      for (;;) {
        const cut = chunker.scan(piece.subarray(off));
        if (cut === 0) break;
        off += cut;
        lengths.push(pos + off - chunkStart);
        chunkStart = pos + off;
      }
      pos += piece.length;
    }
    lengths.push(data.length - chunkStart);
    expect(lengths).toEqual(reference);
  });

  it("matches a from-scratch evaluation of PBS's rule at every position", () => {
    const data = randomBytes(400 * KiB, 42);
    expect(chunkLengths(data, 4 * KiB)).toEqual(naiveChunkLengths(data, 4 * KiB));
  });

  it("is deterministic: pinned boundaries of a fixed input", () => {
    const lengths = chunkLengths(randomBytes(2 * MiB, 42), 64 * KiB);
    const fingerprint = createHash("sha256").update(lengths.join(",")).digest("hex").slice(0, 16);
    // A change here means Coffer would cut the same data differently than before (and than PBS).
    expect({ count: lengths.length, first: lengths.slice(0, 3), fingerprint }).toEqual({
      count: 40,
      first: [96800, 23405, 49690],
      fingerprint: "053684a940e25965",
    });
  });

  it("keeps every chunk within avg/4 .. avg*4 at the default 4 MiB average", () => {
    const chunker = new Chunker();
    expect([chunker.minSize, chunker.avgSize, chunker.maxSize]).toEqual([MiB, 4 * MiB, 16 * MiB]);
    const lengths = chunkLengths(randomBytes(96 * MiB, 3));
    for (const len of lengths.slice(0, -1)) {
      expect(len).toBeGreaterThanOrEqual(MiB);
      expect(len).toBeLessThanOrEqual(16 * MiB);
    }
    const mean = (96 * MiB) / lengths.length;
    expect(mean).toBeGreaterThan(2 * MiB);
    expect(mean).toBeLessThan(8 * MiB);
  });

  it("cuts runs of zeros at the maximum size, never at hash 0", () => {
    expect(chunkLengths(new Uint8Array(1 * MiB + 10), 64 * KiB)).toEqual([256 * KiB, 256 * KiB, 256 * KiB, 256 * KiB, 10]);
  });

  it("re-synchronises after bytes are inserted at the front", () => {
    const data = randomBytes(8 * MiB, 11);
    const shifted = new Uint8Array(data.length + 100);
    shifted.set(randomBytes(100, 99));
    shifted.set(data, 100);
    const a = chunkLengths(data, 64 * KiB);
    const b = chunkLengths(shifted, 64 * KiB);
    expect(a.length).toBeGreaterThan(50);
    // Only the chunks around the insertion differ; every later boundary is found again.
    expect(commonSuffix(a, b)).toBeGreaterThanOrEqual(a.length - 2);
  });

  it("refuses an average that is not a power of two", () => {
    expect(() => new Chunker(3 * MiB)).toThrow(/not a power of two/);
  });
});
