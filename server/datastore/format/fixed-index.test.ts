import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FIXED_INDEX_MAGIC, FixedIndexReader, FixedIndexWriter, INDEX_HEADER_SIZE } from "./fixed-index";
import { tempIndexPath } from "./index-file";

const CS = 4 * 1024 * 1024;
const INITIAL = FixedIndexWriter.INITIAL_CAPACITY;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir(), "coffer-fidx-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Ported from PBS 4.2 fixed_index.rs tests: chunk i has the digest "i as u64 LE" repeated 4 times.
interface TestChunk {
  digest: Buffer;
  index: number;
  size: number;
  end: number;
}

function testData(size: number): TestChunk[] {
  return Array.from({ length: Math.ceil(size / CS) }, (_, index) => {
    const digest = Buffer.alloc(32);
    for (let o = 0; o < 32; o += 8) digest.writeBigUInt64LE(BigInt(index), o);
    const chunkSize = (index + 1) * CS <= size ? CS : size % CS;
    return { digest, index, size: chunkSize, end: index * CS + chunkSize };
  });
}

function addTo(c: TestChunk, w: FixedIndexWriter): void {
  expect(w.checkChunkAlignment(c.end, c.size)).toBe(c.index);
  w.addDigest(c.index, c.digest);
}

async function checkWithReader(file: string, size: number, chunks: TestChunk[]): Promise<void> {
  const reader = await FixedIndexReader.open(file);
  expect(reader.size).toBe(size);
  expect(reader.count).toBe(chunks.length);
  for (const c of chunks) expect(reader.digest(c.index).equals(c.digest)).toBe(true);
}

/** A writer that knew the size from the start must produce the same bytes (uuid, ctime aside). */
async function compareToKnownSizeWriter(file: string, size: number, chunks: TestChunk[]): Promise<void> {
  const refPath = file.replace(/(\.[^./]*)?$/, ".reference");
  const w = await FixedIndexWriter.create(refPath, { size, chunkSize: CS });
  for (const c of chunks) addTo(c, w);
  await w.close();
  const reference = await readFile(refPath);
  const tested = await readFile(file);
  reference.fill(0, 8, 32);
  tested.fill(0, 8, 32);
  expect(tested.equals(reference)).toBe(true);
}

describe("FixedIndexWriter (PBS writer tests)", () => {
  it("an empty writer refuses to close and leaves no file", async () => {
    const file = path.join(dir, "test_empty");
    const w = await FixedIndexWriter.create(file, { chunkSize: CS });
    expect(() => w.addDigest(0, Buffer.alloc(32, 1))).toThrow("add digest failed - index out of range (0 >= 0)");
    expect(w.size).toBe(0);
    expect(w.indexLength).toBe(0);
    expect(w.indexCapacity).toBe(INITIAL);
    await expect(w.close()).rejects.toThrow("fidx file must have at least one chunk");
    expect(await readdir(dir)).toEqual([]);
  });

  it("writes a single partial chunk", async () => {
    const file = path.join(dir, "test_single_partial_chunk");
    const w = await FixedIndexWriter.create(file, { chunkSize: CS });
    const size = CS - 1;
    const expected = testData(size);
    w.growToSize(size);
    addTo(expected[0]!, w);
    await w.close();
    await checkWithReader(file, size, expected);
    await compareToKnownSizeWriter(file, size, expected);
  });

  it("grows to multiples of the chunk size, in steps past its capacity", async () => {
    const file = path.join(dir, "test_grow_to_multiples_of_chunk_size");
    const w = await FixedIndexWriter.create(file, { chunkSize: CS });
    const steps = [1, 2, INITIAL, INITIAL + 1, 5 * INITIAL, 10 * INITIAL + 1];
    const expected = testData(steps[steps.length - 1]! * CS);
    let begin = 0;
    for (const count of steps) {
      const last = expected[count - 1]!;
      w.growToSize(last.end);
      expect(w.indexLength).toBe(last.index + 1);
      expect(() => w.addDigest(last.index + 1, Buffer.alloc(32, 1))).toThrow(/index out of range/);
      for (const c of expected.slice(begin, count).reverse()) addTo(c, w);
      begin = count;
    }
    await w.close();
    const size = expected.length * CS;
    await checkWithReader(file, size, expected);
    await compareToKnownSizeWriter(file, size, expected);
  });

  it("fixes its size once grown to a misaligned size", async () => {
    const file = path.join(dir, "test_grow_to_misaligned_size");
    const w = await FixedIndexWriter.create(file, { chunkSize: CS });
    const size = (INITIAL + 42) * CS - 1;
    const expected = testData(size);
    w.growToSize(size);
    expect(() => w.growToSize(size + 1)).toThrow(`refusing to resize from ${size} to ${size + 1}`);
    expect(w.indexLength).toBe(expected.length);
    expect(() => w.addDigest(expected.length, Buffer.alloc(32, 1))).toThrow(/index out of range/);
    for (const c of [...expected].reverse()) addTo(c, w);
    await w.close();
    await checkWithReader(file, size, expected);
    await compareToKnownSizeWriter(file, size, expected);
  });

  it("clones data from another index: truncated, and modified with growth", async () => {
    let size = (INITIAL + 3) * CS;
    const expected = testData(size);
    const reusedPath = path.join(dir, "reused");
    const w1 = await FixedIndexWriter.create(reusedPath, { size, chunkSize: CS });
    for (const c of expected) addTo(c, w1);
    await w1.close();
    const reused = await FixedIndexReader.open(reusedPath);

    const truncated = path.join(dir, "truncated");
    size -= CS;
    expected.pop();
    const w2 = await FixedIndexWriter.create(truncated, { size, chunkSize: CS });
    w2.cloneDataFrom(reused);
    await w2.close();
    await checkWithReader(truncated, size, expected);
    await compareToKnownSizeWriter(truncated, size, expected);

    const modified = path.join(dir, "modified");
    const w3 = await FixedIndexWriter.create(modified, { chunkSize: CS });
    w3.cloneDataFrom(reused);
    expect(w3.indexLength).toBe(0); // cloning fills capacity, not length
    const chunk = expected[Math.floor(expected.length / 2)]!;
    chunk.digest[1]! += 1;
    w3.addChunk(chunk.end - chunk.size, chunk.size, chunk.digest);
    w3.growToSize(size);
    await w3.close();
    await checkWithReader(modified, size, expected);
    await compareToKnownSizeWriter(modified, size, expected);
  });
});

describe("FixedIndexWriter", () => {
  it("writes to <name>.tmp_fidx and renames on close", async () => {
    const file = path.join(dir, "drive-scsi0.img.fidx");
    const w = await FixedIndexWriter.create(file, { size: 10, chunkSize: 64 * 1024 });
    expect(w.tmpPath).toBe(path.join(dir, "drive-scsi0.img.tmp_fidx"));
    expect(await readdir(dir)).toEqual(["drive-scsi0.img.tmp_fidx"]);
    w.addChunk(0, 10, Buffer.alloc(32, 0xab));
    const csum = await w.close();
    expect(await readdir(dir)).toEqual(["drive-scsi0.img.fidx"]);

    const raw = await readFile(file);
    expect(raw.length).toBe(INDEX_HEADER_SIZE + 32);
    expect(raw.subarray(0, 8).equals(FIXED_INDEX_MAGIC)).toBe(true);
    expect(raw.subarray(32, 64).equals(csum)).toBe(true);
    expect(csum.equals(createHash("sha256").update(Buffer.alloc(32, 0xab)).digest())).toBe(true);
    expect(raw.readBigUInt64LE(64)).toBe(10n);
    expect(raw.readBigUInt64LE(72)).toBe(65536n);
    expect(Math.abs(Number(raw.readBigInt64LE(24)) - Date.now() / 1000)).toBeLessThan(5);
    expect(raw[8 + 6]! >> 4).toBe(4); // uuid version 4
    expect(() => w.addDigest(0, Buffer.alloc(32))).toThrow("cannot write to closed index file.");
    await expect(w.close()).rejects.toThrow("cannot close already closed index file.");
  });

  it("abort removes the temp file and writes nothing", async () => {
    const file = path.join(dir, "a.img.fidx");
    const w = await FixedIndexWriter.create(file, { size: CS, chunkSize: CS });
    w.addChunk(0, CS, Buffer.alloc(32, 1));
    await w.abort();
    expect(await readdir(dir)).toEqual([]);
  });

  it("accepts only PBS's chunk sizes, before creating any file", async () => {
    for (const chunkSize of [1024, 3 * 65536, 8 * 1024 * 1024]) {
      await expect(FixedIndexWriter.create(path.join(dir, "x.fidx"), { chunkSize })).rejects.toThrow(
        `Got unsupported chunk size '${chunkSize}'`,
      );
    }
    expect(await readdir(dir)).toEqual([]);
  });

  it("rejects chunks that are unaligned, too long, or past the fixed size", async () => {
    const w = await FixedIndexWriter.create(path.join(dir, "x.fidx"), { size: 3 * 65536 + 5, chunkSize: 65536 });
    const d = Buffer.alloc(32);
    expect(() => w.addChunk(10, 65536, d)).toThrow("got unaligned chunk (pos = 10)");
    expect(() => w.addChunk(0, 100, d)).toThrow("chunk with unexpected length (100 != 65536");
    expect(() => w.addChunk(3 * 65536, 6, d)).toThrow(`refusing to resize from ${3 * 65536 + 5} to ${3 * 65536 + 6}`);
    w.addChunk(3 * 65536, 5, d); // the short last chunk
    await w.abort();
  });

  it("names temp files as PBS's set_extension does", () => {
    expect(tempIndexPath("/s/a.img.fidx", "tmp_fidx")).toBe("/s/a.img.tmp_fidx");
    expect(tempIndexPath("/s/noext", "tmp_fidx")).toBe("/s/noext.tmp_fidx");
    expect(tempIndexPath("/s/root.pxar.didx", "tmp_didx")).toBe("/s/root.pxar.tmp_didx");
  });
});

describe("FixedIndexReader", () => {
  it("explains why a file is not a fixed index (PBS test_index_reader)", async () => {
    const file = path.join(dir, "file");
    await expect(FixedIndexReader.open(file)).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: expect.stringContaining(`Unable to open fixed index ${JSON.stringify(file)} - ENOENT`),
    });
    await writeFile(file, "");
    await expect(FixedIndexReader.open(file)).rejects.toThrow("index too small (0)");

    const data = Buffer.alloc(INDEX_HEADER_SIZE);
    await writeFile(file, data);
    await expect(FixedIndexReader.open(file)).rejects.toThrow("got unknown magic number");

    data.set(FIXED_INDEX_MAGIC, 0);
    await writeFile(file, data);
    await expect(FixedIndexReader.open(file)).rejects.toThrow("got non-power-of-two chunk size: 0");

    data.writeBigUInt64LE(BigInt(CS), 72);
    await writeFile(file, data);
    await expect(FixedIndexReader.open(file)).rejects.toThrow("index must not be empty");

    const size = CS + 1;
    data.writeBigUInt64LE(BigInt(size), 64);
    await writeFile(file, Buffer.concat([data, Buffer.from([0, 1, 2])]));
    await expect(FixedIndexReader.open(file)).rejects.toThrow("got unexpected file size (64 != 3)");

    const digests = Buffer.from(Array.from({ length: 64 }, (_, i) => i));
    await writeFile(file, Buffer.concat([data, digests]));
    const reader = await FixedIndexReader.open(file);
    expect(reader.size).toBe(size);
    expect(reader.chunkSize).toBe(CS);
    expect(reader.count).toBe(2);
    expect([...reader.digest(0)]).toEqual(Array.from({ length: 32 }, (_, i) => i));
    expect([...reader.digest(1)]).toEqual(Array.from({ length: 32 }, (_, i) => i + 32));
    expect(reader.chunkRange(1)).toEqual({ start: CS, end: CS + 1 });
    expect(reader.chunkFromOffset(CS)).toEqual({ index: 1, offset: 0 });
    expect(reader.chunkFromOffset(size)).toBeUndefined();
    const expectedCsum = createHash("sha256").update(digests).digest();
    expect(reader.computeCsum().csum.equals(expectedCsum)).toBe(true);
    expect(reader.indexChecksum()).toEqual({ csum: expectedCsum.toString("hex"), size });
    expect(() => reader.digest(2)).toThrow(/out of range/);
  });

  it("reads back what the writer wrote, header fields included", async () => {
    const file = path.join(dir, "vm.img.fidx");
    const w = await FixedIndexWriter.create(file, { size: 2 * 65536, chunkSize: 65536 });
    w.addChunk(65536, 65536, Buffer.alloc(32, 2));
    w.addChunk(0, 65536, Buffer.alloc(32, 1));
    const csum = await w.close();
    const r = FixedIndexReader.fromBuffer(await readFile(file));
    expect(r.uuid.equals(w.uuid)).toBe(true);
    expect(r.ctime).toBe(w.ctime);
    expect(r.headerCsum.equals(csum)).toBe(true);
    expect(r.computeCsum()).toEqual({ csum, size: 2 * 65536 });
    expect([...r.digests()].map((d) => d[0])).toEqual([1, 2]);
  });
});
