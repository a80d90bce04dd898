import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { crc32 } from "node:zlib";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chunkRelPath, digestHex, LocalChunkStore, parseDigest } from "./chunk-store";
import { ENCR_COMPR_BLOB_MAGIC, ENCRYPTED_BLOB_MAGIC, encodeBlob, sha256 } from "../format/blob";

// 65,536 directories per store: seconds on disk, a fraction of a second on tmpfs.
const TMP = existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir();

let root: string;
let store: LocalChunkStore;
beforeAll(async () => {
  root = await mkdtemp(path.join(TMP, "coffer-chunks-"));
  store = await LocalChunkStore.create(path.join(root, "shared"), { name: "shared" });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

let counter = 0;
/** A fresh plain chunk: its blob and digest. */
function chunk(text = `chunk ${counter++} ${Math.random()}`): { data: Buffer; blob: Buffer; digest: Buffer } {
  const data = Buffer.from(text);
  return { data, blob: encodeBlob(data), digest: sha256(data) };
}

/** A blob of another variant, for dedup rules that depend on the stored kind. */
function frame(magic: Uint8Array, payload: Buffer, encrypted = false): Buffer {
  const header = Buffer.alloc(encrypted ? 44 : 12);
  header.set(magic);
  header.writeUInt32LE(crc32(payload), 8);
  return Buffer.concat([header, payload]);
}

describe("LocalChunkStore (PBS test_chunk_store1)", () => {
  it("cannot open before create, creates once, deduplicates, refuses a second create", async () => {
    const base = path.join(root, "test1");
    await mkdir(base);
    await expect(LocalChunkStore.open(base)).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: expect.stringMatching(new RegExp(`^unable to open chunk store at "${base}/\\.chunks" - ENOENT`)),
    });

    const s = await LocalChunkStore.create(base, { name: "test" });
    const { blob, digest } = chunk("\u0000\u0001");
    expect(await s.insertChunk(digest, blob)).toEqual({ exists: false, size: blob.length });
    expect(await s.insertChunk(digest, blob)).toEqual({ exists: true, size: blob.length });

    await expect(LocalChunkStore.create(base, { name: "test" })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining(`unable to create chunk store 'test' subdir "${base}/.chunks" - EEXIST`),
    });
    expect(await s.chunkExists(digest)).toBe(true); // the failed create changed nothing
  });
});

describe("LocalChunkStore.create", () => {
  it("makes the 65,536 prefix directories, 0750, and an empty 0644 .lock", async () => {
    const entries = (await readdir(store.chunkDir)).sort();
    expect(entries.length).toBe(65536);
    expect(entries[0]).toBe("0000");
    expect(entries[0xabcd]).toBe("abcd");
    expect(entries[65535]).toBe("ffff");
    expect((await stat(store.chunkDir)).mode & 0o777).toBe(0o750);
    expect((await stat(path.join(store.chunkDir, "7f3a"))).mode & 0o777).toBe(0o750);
    const lock = await stat(path.join(store.base, ".lock"));
    expect([lock.size, lock.mode & 0o777]).toEqual([0, 0o644]);
  });

  it("reports progress in whole percentages, in order", async () => {
    const seen: number[] = [];
    await LocalChunkStore.create(path.join(root, "progress", "nested"), { onProgress: (p) => seen.push(p) });
    expect(seen).toEqual(Array.from({ length: 99 }, (_, i) => i + 1));
  });

  it("sets PBS's modes even under a strict umask", async () => {
    const previous = process.umask(0o077);
    try {
      const s = await LocalChunkStore.create(path.join(root, "umask"));
      expect((await stat(s.chunkDir)).mode & 0o777).toBe(0o750);
      expect((await stat(path.join(s.chunkDir, "ffff"))).mode & 0o777).toBe(0o750);
      expect((await stat(path.join(s.base, ".lock"))).mode & 0o777).toBe(0o644);
    } finally {
      process.umask(previous);
    }
  });

  it("refuses a relative path", async () => {
    await expect(LocalChunkStore.create("rel/store")).rejects.toThrow('expected absolute path - got "rel/store"');
    await expect(LocalChunkStore.open("rel/store")).rejects.toThrow('expected absolute path - got "rel/store"');
    expect(existsSync(path.resolve("rel"))).toBe(false);
  });
});

describe("insertChunk", () => {
  it("stores the blob at .chunks/<4 hex>/<64 hex> through a temp file", async () => {
    const { blob, digest } = chunk();
    const hex = digest.toString("hex");
    expect(store.chunkPath(digest)).toBe(`.chunks/${hex.slice(0, 4)}/${hex}`);
    await store.insertChunk(digest, blob);
    expect((await readFile(path.join(store.base, store.chunkPath(digest)))).equals(blob)).toBe(true);
    expect(await readdir(path.join(store.chunkDir, hex.slice(0, 4)))).toEqual([hex]);
  });

  it("touches only the atime of an existing chunk of the same size", async () => {
    const { blob, digest } = chunk();
    await store.insertChunk(digest, blob);
    const file = store.absoluteChunkPath(digest);
    await utimes(file, 1_000_000_000, 1_000_000_000);
    expect(await store.insertChunk(digest, blob)).toEqual({ exists: true, size: blob.length });
    const st = await stat(file);
    expect(st.mtimeMs).toBe(1_000_000_000_000);
    expect(Date.now() - st.atimeMs).toBeLessThan(60_000);
  });

  it("overwrites an empty chunk file", async () => {
    const { blob, digest } = chunk();
    await writeFile(store.absoluteChunkPath(digest), "");
    expect(await store.insertChunk(digest, blob)).toEqual({ exists: false, size: blob.length });
    expect((await store.readChunk(digest)).equals(blob)).toBe(true);
  });

  it("keeps whichever copy is smaller", async () => {
    const { blob, digest } = chunk();
    const bigger = Buffer.concat([blob.subarray(0, 12), blob.subarray(12), Buffer.from("padding")]);
    // Existing smaller: kept, reported as existing with its own size.
    await store.insertChunk(digest, blob);
    expect(await store.insertChunk(digest, bigger)).toEqual({ exists: true, size: blob.length });
    expect((await store.readChunk(digest)).equals(blob)).toBe(true);
    // Existing bigger: replaced by the smaller upload.
    const other = chunk();
    const otherBigger = Buffer.concat([other.blob, Buffer.from("xx")]);
    await store.insertChunk(other.digest, otherBigger);
    expect(await store.insertChunk(other.digest, other.blob)).toEqual({ exists: false, size: other.blob.length });
    expect((await store.readChunk(other.digest)).equals(other.blob)).toBe(true);
  });

  it("never lets an encrypted chunk replace a plain one, or a plain-encrypted one of another size", async () => {
    const plain = chunk();
    await store.insertChunk(plain.digest, plain.blob);
    const enc = frame(ENCRYPTED_BLOB_MAGIC, Buffer.alloc(100, 1), true);
    await expect(store.insertChunk(plain.digest, enc)).rejects.toThrow(
      `Overwriting unencrypted chunk '${plain.digest.toString("hex")}' on store 'shared' with encrypted chunk with same digest not allowed!`,
    );

    const digest = sha256(Buffer.from(`encrypted ${Math.random()}`));
    await store.insertChunk(digest, enc);
    await expect(store.insertChunk(digest, frame(ENCRYPTED_BLOB_MAGIC, Buffer.alloc(90, 1), true))).rejects.toThrow(
      `Overwriting existing (encrypted) chunk '${digest.toString("hex")}' on store 'shared' is not allowed!`,
    );
    // A compressed encrypted copy of another size may differ by zstd version: keep the first.
    const compressed = frame(ENCR_COMPR_BLOB_MAGIC, Buffer.alloc(50, 1), true);
    expect(await store.insertChunk(digest, compressed)).toEqual({ exists: true, size: enc.length });
    expect((await store.readChunk(digest)).equals(enc)).toBe(true);
  });

  it("refuses data that is not a blob, and a directory in a chunk's place", async () => {
    const { digest } = chunk();
    await expect(store.insertChunk(digest, Buffer.from("raw bytes, no blob header"))).rejects.toThrow(/wrong magic/);
    expect(await store.chunkExists(digest)).toBe(false);
    const odd = chunk();
    await mkdir(store.absoluteChunkPath(odd.digest));
    await expect(store.insertChunk(odd.digest, odd.blob)).rejects.toThrow(
      `got unexpected file type on store 'shared' for chunk ${odd.digest.toString("hex")}`,
    );
  });

  it("serialises concurrent inserts of one digest: exactly one is new", async () => {
    const { blob, digest } = chunk();
    const results = await Promise.all(Array.from({ length: 5 }, () => store.insertChunk(digest, blob)));
    expect(results.filter((r) => !r.exists)).toHaveLength(1);
    const hex = digest.toString("hex");
    expect(await readdir(path.join(store.chunkDir, hex.slice(0, 4)))).toEqual([hex]);
  });
});

describe("reading, touching, marking bad", () => {
  it("reads the raw blob, or names the missing digest", async () => {
    const { blob, digest } = chunk();
    await store.insertChunk(digest, blob);
    expect((await store.readChunk(digest)).equals(blob)).toBe(true);
    const missing = chunk();
    await expect(store.readChunk(missing.digest)).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: expect.stringContaining(`chunk ${missing.digest.toString("hex")} not found in store 'shared'`),
    });
    expect(await store.chunkExists(missing.digest)).toBe(false);
  });

  it("touchChunk moves the atime only, and reports a missing chunk", async () => {
    const { blob, digest } = chunk();
    await store.insertChunk(digest, blob);
    const file = store.absoluteChunkPath(digest);
    await utimes(file, 1_500_000_000, 1_400_000_000);
    expect(await store.touchChunk(digest)).toBe(true);
    const st = await stat(file);
    expect(st.mtimeMs).toBe(1_400_000_000_000);
    expect(st.atimeMs).toBeGreaterThan(Date.now() - 60_000);
    expect(await store.touchChunk(chunk().digest)).toBe(false);
  });

  it("readVerified returns the data, and names the digest of a chunk stored under the wrong one", async () => {
    const good = chunk();
    await store.insertChunk(good.digest, good.blob);
    expect((await store.readVerified(good.digest)).equals(good.data)).toBe(true);
    const wrong = chunk();
    await store.insertChunk(wrong.digest, chunk("something else").blob);
    await expect(store.readVerified(wrong.digest)).rejects.toThrow(
      new RegExp(`wrong digest: chunk ${wrong.digest.toString("hex")}`),
    );
  });

  it("markBad renames to the first free .N.bad, overwriting .9.bad once all are taken", async () => {
    const { blob, digest } = chunk();
    const file = store.absoluteChunkPath(digest);
    for (let n = 0; n < 10; n++) {
      await store.insertChunk(digest, blob);
      expect(await store.markBad(digest)).toBe(`${file}.${n}.bad`);
    }
    await store.insertChunk(digest, encodeBlob(Buffer.from("latest")));
    expect(await store.markBad(digest)).toBe(`${file}.9.bad`);
    expect((await readFile(`${file}.9.bad`)).subarray(12).toString()).toBe("latest");
    expect(await store.chunkExists(digest)).toBe(false);
    await expect(store.markBad(digest)).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("digest helpers", () => {
  it("round-trip between bytes and hex", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (d) => {
        expect(parseDigest(digestHex(d)).equals(Buffer.from(d))).toBe(true);
        expect(chunkRelPath(d)).toMatch(/^\.chunks\/[0-9a-f]{4}\/[0-9a-f]{64}$/);
      }),
    );
  });

  it("refuse the wrong length or characters", () => {
    expect(() => digestHex(new Uint8Array(31))).toThrow("invalid chunk digest: expected 32 bytes, got 31");
    expect(() => parseDigest("zz".repeat(32))).toThrow(/invalid chunk digest "zzzz/);
    expect(() => parseDigest("../../etc/passwd")).toThrow(/expected 64 hex characters/);
  });
});
