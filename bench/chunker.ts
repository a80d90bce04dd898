/**
 * Benchmark: the content-defined chunkers' scan speed against the cheapest per-byte loop in
 * JavaScript over the same data, and against sha256 (which every chunk goes through anyway).
 *
 *   node --import tsx bench/chunker.ts [--mib 256] [--runs 5] [--avg-kib 1024]
 *
 * Data: `--mib` MiB of random bytes, fed in 64 KiB pieces as a file stream delivers them.
 * Measured, in turns so that other load hits each alike (medians of `--runs`):
 *   - FastChunker (backup/cdc.ts), which cuts directory streams in backups;
 *   - Chunker (format/chunker.ts), the reference implementation it must cut identically to;
 *   - the baseline: a loop that reads every byte once and adds it up (no hashing), the floor
 *     for any scan that looks at every byte;
 *   - sha256 of the same pieces (node:crypto).
 * It prints MiB/s for each and each chunker's speed as a ratio of the baseline. Replaces a timed
 * assertion that used to sit in chunker.test.ts: speed is measured here, not asserted in tests.
 */
import { createHash, randomFillSync } from "node:crypto";
import { FastChunker } from "../server/datastore/backup/cdc";
import { Chunker } from "../server/datastore/format/chunker";
import { arg } from "./support/args";

const MIB = 1024 * 1024;
const PIECE = 64 * 1024;
const data = randomFillSync(Buffer.allocUnsafe(arg("mib", 256) * MIB));
const runs = arg("runs", 5);
const avg = arg("avg-kib", 1024) * 1024;
const pieces: Buffer[] = [];
for (let o = 0; o < data.length; o += PIECE) pieces.push(data.subarray(o, o + PIECE));

/** Feeds every piece through `scan`, which returns the offset after a cut or 0: the cut count. */
function cuts(scan: (b: Uint8Array) => number): number {
  let n = 0;
  for (const piece of pieces) {
    let buf: Uint8Array = piece;
    for (;;) {
      const at = scan(buf);
      if (at === 0) break;
      n++;
      buf = buf.subarray(at);
    }
  }
  return n;
}

const sides: Array<[string, () => number]> = [
  ["FastChunker (directory backups)", () => cuts((b) => fast.scan(b))],
  ["Chunker (reference)", () => cuts((b) => reference.scan(b))],
  [
    "baseline: read and add every byte",
    () => {
      let sum = 0;
      for (const piece of pieces) for (let i = 0; i < piece.length; i++) sum = (sum + piece[i]!) | 0;
      return sum;
    },
  ],
  [
    "sha256",
    () => {
      const h = createHash("sha256");
      for (const piece of pieces) h.update(piece);
      return h.digest()[0]!;
    },
  ],
];
let fast = new FastChunker(avg);
let reference = new Chunker(avg);

const seconds: number[][] = sides.map(() => []);
const results: number[] = [];
for (let r = 0; r < runs; r++) {
  fast = new FastChunker(avg);
  reference = new Chunker(avg);
  for (const [i, [, run]] of sides.entries()) {
    const t = performance.now();
    results[i] = run();
    seconds[i]!.push((performance.now() - t) / 1000);
  }
}
// Both chunkers must have cut in the same places, or the comparison means nothing.
if (results[0] !== results[1]) throw new Error(`the chunkers disagree: ${results[0]} and ${results[1]} cuts`);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mibs = seconds.map((s) => data.length / MIB / median(s));
console.log(`${data.length / MIB} MiB of random data in 64 KiB pieces, average chunk ${avg / 1024} KiB, ${results[0]} cuts; medians of ${runs} runs`);
for (const [i, [name]] of sides.entries()) {
  const ratio = i === 2 ? "" : `  ${(mibs[i]! / mibs[2]!).toFixed(2)}x the baseline`;
  console.log(`${name.padEnd(34)} ${mibs[i]!.toFixed(0).padStart(6)} MiB/s${ratio}`);
}
