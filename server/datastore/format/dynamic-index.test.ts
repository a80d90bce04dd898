import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DYNAMIC_INDEX_MAGIC, DynamicIndexReader, DynamicIndexWriter } from "./dynamic-index";
import { INDEX_HEADER_SIZE } from "./fixed-index";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir(), "coffer-didx-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function digestOf(i: number): Buffer {
  return createHash("sha256").update(`chunk ${i}`).digest();
}

/** The checksum computed independently of the writer: sha256 over (end u64 LE ‖ digest)*. */
function expectedCsum(ends: number[]): Buffer {
  const h = createHash("sha256");
  ends.forEach((end, i) => {
    const le = Buffer.alloc(8);
    le.writeBigUInt64LE(BigInt(end));
    h.update(le).update(digestOf(i));
  });
  return h.digest();
}

async function writeIndex(file: string, ends: number[]): Promise<Buffer> {
  const w = await DynamicIndexWriter.create(file);
  ends.forEach((end, i) => w.addChunk(end, digestOf(i)));
  return w.close();
}

describe("DynamicIndexWriter / DynamicIndexReader", () => {
  it("round-trips entries across many buffer parts, with PBS's checksum", async () => {
    const file = path.join(dir, "root.pxar.didx");
    const ends: number[] = [];
    for (let i = 0, end = 0; i < 3000; i++) ends.push((end += 1 + ((i * 7919) % 5000)));
    const csum = await writeIndex(file, ends);
    expect(csum.equals(expectedCsum(ends))).toBe(true);

    const raw = await readFile(file);
    expect(raw.length).toBe(INDEX_HEADER_SIZE + 40 * ends.length);
    expect(raw.subarray(0, 8).equals(DYNAMIC_INDEX_MAGIC)).toBe(true);
    expect(raw.subarray(32, 64).equals(csum)).toBe(true);

    const r = await DynamicIndexReader.open(file);
    expect(r.count).toBe(ends.length);
    expect(r.size).toBe(ends[ends.length - 1]);
    expect(r.end(1234)).toBe(ends[1234]);
    expect(r.digest(1234).equals(digestOf(1234))).toBe(true);
    expect(r.chunkRange(0)).toEqual({ start: 0, end: ends[0] });
    expect(r.chunkRange(10)).toEqual({ start: ends[9], end: ends[10] });
    expect(r.headerCsum.equals(csum)).toBe(true);
    expect(r.indexChecksum()).toEqual({ csum: csum.toString("hex"), size: r.size });
    expect(Math.abs(r.ctime - Date.now() / 1000)).toBeLessThan(5);
  });

  it("writes to <name>.tmp_didx and renames on close", async () => {
    const file = path.join(dir, "catalog.pcat1.didx");
    const w = await DynamicIndexWriter.create(file);
    w.addChunk(100, digestOf(0));
    expect(await readdir(dir)).toEqual(["catalog.pcat1.tmp_didx"]);
    await w.close();
    expect(await readdir(dir)).toEqual(["catalog.pcat1.didx"]);
    expect(() => w.addChunk(200, digestOf(1))).toThrow(/cannot write to closed dynamic index file/);
    await expect(w.close()).rejects.toThrow(/cannot close already closed archive index file/);
  });

  it("abort removes the temp file", async () => {
    const w = await DynamicIndexWriter.create(path.join(dir, "a.didx"));
    w.addChunk(5, digestOf(0));
    await w.abort();
    expect(await readdir(dir)).toEqual([]);
  });

  it("closes an empty index (size 0, checksum of nothing)", async () => {
    const file = path.join(dir, "empty.didx");
    const csum = await writeIndex(file, []);
    const r = await DynamicIndexReader.open(file);
    expect(r.count).toBe(0);
    expect(r.size).toBe(0);
    expect(csum.equals(createHash("sha256").digest())).toBe(true);
  });

  it("refuses ends that do not grow", async () => {
    const w = await DynamicIndexWriter.create(path.join(dir, "x.didx"));
    w.addChunk(10, digestOf(0));
    expect(() => w.addChunk(10, digestOf(1))).toThrow("chunk end 10 does not follow the previous end 10");
    expect(() => w.addChunk(5, digestOf(1))).toThrow(/does not follow/);
    expect(w.indexLength).toBe(1);
    await w.abort();
  });

  it("finds the chunk holding any offset", async () => {
    const file = path.join(dir, "search.didx");
    const ends = [3, 10, 11, 40, 41, 100];
    await writeIndex(file, ends);
    const r = await DynamicIndexReader.open(file);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 99 }), (offset) => {
        const index = ends.findIndex((e) => offset < e);
        const start = index === 0 ? 0 : ends[index - 1]!;
        expect(r.chunkFromOffset(offset)).toEqual({ index, offset: offset - start });
      }),
    );
    expect(r.chunkFromOffset(100)).toBeUndefined();
  });

  it("explains why a file is not a dynamic index", async () => {
    const file = path.join(dir, "bad.didx");
    await expect(DynamicIndexReader.open(file)).rejects.toMatchObject({ code: "NOT_FOUND" });
    await writeFile(file, Buffer.alloc(100));
    await expect(DynamicIndexReader.open(file)).rejects.toThrow(
      `Unable to open dynamic index ${JSON.stringify(file)} - index too small (100)`,
    );
    const header = Buffer.alloc(INDEX_HEADER_SIZE);
    await writeFile(file, header);
    await expect(DynamicIndexReader.open(file)).rejects.toThrow("got unknown magic number");
    header.set(DYNAMIC_INDEX_MAGIC);
    await writeFile(file, Buffer.concat([header, Buffer.alloc(41)]));
    await expect(DynamicIndexReader.open(file)).rejects.toThrow("got unexpected file size");
  });
});
