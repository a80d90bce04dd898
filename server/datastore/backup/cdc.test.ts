import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Chunker } from "../format/chunker";
import { FastChunker } from "./cdc";

/** Cut positions (absolute) of `data` fed in pieces of the given sizes (cycled). */
function cuts(scanner: { scan(d: Uint8Array): number }, data: Uint8Array, pieces: number[]): number[] {
  const out: number[] = [];
  let off = 0;
  let k = 0;
  while (off < data.length) {
    let piece = data.subarray(off, Math.min(data.length, off + pieces[k++ % pieces.length]!));
    let base = off;
    off += piece.length;
    for (;;) {
      const c = scanner.scan(piece);
      if (c === 0) break;
      out.push(base + c);
      base += c;
      piece = piece.subarray(c);
    }
  }
  return out;
}

describe("fast content-defined chunker", () => {
  it("cuts exactly where format/chunker.ts does, whatever the piece sizes", () => {
    const avg = 4096; // small chunks: many cuts per megabyte
    const random = randomBytes(3 * 1024 * 1024);
    const repetitive = Buffer.alloc(2 * 1024 * 1024);
    for (let i = 0; i < repetitive.length; i++) repetitive[i] = (i * 7) % 13 === 0 ? (i >>> 9) & 0xff : 0;
    for (const data of [random, repetitive]) {
      const expected = cuts(new Chunker(avg), data, [data.length]);
      expect(expected.length).toBeGreaterThan(50);
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1, maxLength: 8 }), (pieces) => {
          expect(cuts(new FastChunker(avg), data, pieces)).toEqual(expected);
        }),
        { numRuns: 40 },
      );
    }
    // the default size on 20 MiB, in the piece size the directory stream uses
    const big = randomBytes(20 * 1024 * 1024);
    expect(cuts(new FastChunker(), big, [1024 * 1024])).toEqual(cuts(new Chunker(), big, [big.length]));
  });

  it("refuses sizes where skipping would change the cuts", () => {
    expect(() => new FastChunker(128)).toThrow("unsupported average chunk size 128 - a power of two from 256 to 256 MiB");
  });
});
