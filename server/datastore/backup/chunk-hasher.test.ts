import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { blobKind, decodeBlob, encodeBlob, sha256 } from "../format/blob";
import { chunkFrom, ChunkHasher, hashInOrder } from "./chunk-hasher";

let hasher: ChunkHasher | undefined;
afterEach(async () => {
  await hasher?.close();
});

async function* buffers(parts: Buffer[]) {
  for (const p of parts) yield chunkFrom([p], p.length);
}

describe("chunk hasher", () => {
  it("gives the digest and exactly format/blob.ts's encoding, in threads and on the main thread, in order", async () => {
    const text = Buffer.from("compressible text, as most of a system's files are\n".repeat(40_000));
    const parts = [randomBytes(3 * 1024 * 1024), text, randomBytes(17), Buffer.alloc(0), randomBytes(1024 * 1024 + 5)];
    for (const threads of [0, 2]) {
      for (const level of [1, 0]) {
        hasher = ChunkHasher.start(threads, { level });
        const out = [];
        for await (const c of hashInOrder(hasher, buffers(parts), 3)) out.push(c);
        expect(out.map((c) => c.size)).toEqual(parts.map((p) => p.length));
        out.forEach((c, i) => {
          expect(c.digest.equals(sha256(parts[i]!))).toBe(true);
          expect(c.blob.equals(encodeBlob(parts[i]!, { level }))).toBe(true);
          expect(decodeBlob(c.blob).equals(parts[i]!)).toBe(true);
        });
        // Only the compressible chunk shrinks; random data stays in its own (uncopied) buffer.
        expect(out.map((c) => blobKind(c.blob))).toEqual(
          parts.map((p) => (level > 0 && p === text ? "zstd" : "uncompressed")),
        );
        await hasher.close();
      }
    }
  });

  it("does not compress chunks the backup will not write (known from the previous snapshot)", async () => {
    const text = Buffer.from("known text\n".repeat(100_000));
    const other = Buffer.from("new text\n".repeat(100_000));
    for (const threads of [0, 2]) {
      hasher = ChunkHasher.start(threads, { level: 1, known: new Set([sha256(text).toString("hex")]) });
      const out = [];
      for await (const c of hashInOrder(hasher, buffers([text, other]), 3)) out.push(c);
      expect(out.map((c) => blobKind(c.blob))).toEqual(["uncompressed", "zstd"]);
      expect(out[0]!.digest.equals(sha256(text))).toBe(true);
      await hasher.close();
    }
  });

  it("does not compress a chunk the store already holds compressed, and does one it holds uncompressed", async () => {
    const stored = Buffer.from("already stored compressed\n".repeat(100_000));
    const storedPlain = Buffer.from("stored uncompressed before\n".repeat(100_000));
    const fresh = Buffer.from("not stored yet\n".repeat(100_000));
    const chunkDir = mkdtempSync(path.join(os.tmpdir(), "coffer-hasher-"));
    try {
      const put = (data: Buffer, level: number) => {
        const hex = sha256(data).toString("hex");
        mkdirSync(path.join(chunkDir, hex.slice(0, 4)), { recursive: true });
        writeFileSync(path.join(chunkDir, hex.slice(0, 4), hex), encodeBlob(data, { level }));
      };
      put(stored, 1);
      put(storedPlain, 0);
      for (const threads of [0, 2]) {
        hasher = ChunkHasher.start(threads, { level: 1, chunkDir });
        const out = [];
        for await (const c of hashInOrder(hasher, buffers([stored, storedPlain, fresh]), 3)) out.push(c);
        // The insert keeps the smaller stored file, so the first blob is never written.
        expect(out.map((c) => blobKind(c.blob))).toEqual(["uncompressed", "zstd", "zstd"]);
        expect(decodeBlob(out[0]!.blob).equals(stored)).toBe(true);
        await hasher.close();
      }
    } finally {
      rmSync(chunkDir, { recursive: true, force: true });
    }
  });

  it("rejects work once closed and refuses an invalid thread count", async () => {
    hasher = ChunkHasher.start(1);
    await hasher.close();
    await expect(hasher.hash(chunkFrom([Buffer.from("x")], 1))).rejects.toThrow("chunk hasher is closed");
    expect(() => ChunkHasher.start(-1)).toThrow("invalid number of hashing threads -1: expected 0 to 256");
  });
});
