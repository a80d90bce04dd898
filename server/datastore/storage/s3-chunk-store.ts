/**
 * The chunk store of an S3 datastore (PBS 4.2, reference 1.7 and 5.5): every chunk is one object
 * `<store>/.chunks/<4 hex>/<digest>`, stored 1:1 with the bytes it was given (a DataBlob, plain
 * or compressed), and the datastore's local `.chunks` directory is a cache of them.
 *
 * The invariant everything here keeps: **a chunk file `<hex>` in the cache means the object is in
 * the bucket.** Writers dedupe against the cache, so a cache file without its object would make
 * a backup reference a chunk nobody stored. Hence:
 * - a writer puts the bytes in the cache as `<hex>.up_XXXXXX` (written to a `.tmp_` name first,
 *   so it is whole), uploads, and only then renames it to `<hex>`;
 * - GC removing an object renames the cache file aside, checks its atime again (a writer that
 *   touched it keeps it), deletes the object, and then looks for a `<hex>` or `<hex>.up_*` a
 *   writer made meanwhile: if there is one, it uploads those bytes again. A writer's cache
 *   file appears either before that look (GC re-uploads) or after it, and then the writer's own
 *   upload comes after GC's delete. Either way the object is there. See docs/s3.md.
 * No conditional PUT: Swift's s3api refuses `If-None-Match` (501), so a cache miss uploads with
 * replace semantics; the bytes of one digest are the same chunk.
 *
 * GC marks with local files, as PBS does: the cache file's atime, or a `<hex>.using` marker
 * for a referenced chunk that is not cached. Metadata updates on objects would cost a request
 * each (PBS avoids them for the same reason).
 */
import { KeyedSerial } from "./keyed-serial";
import { randomBytes } from "node:crypto";
import { closeSync, lstatSync, openSync, readdirSync, renameSync, unlinkSync, utimesSync } from "node:fs";
import { readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import type { ChunkBackend, ChunkInsertResult, StoredChunkFile, StoredChunkTimes } from "./backend";
import { chunkRelPath, digestHex, type LocalChunkStore } from "./chunk-store";
import type { S3ObjectClient } from "./s3-client";
import type { S3Keys } from "./s3-keys";
import { blobKind, decodeChunk } from "../format/blob";
import { CofferError, errorMessage, isErrno } from "../model/errors";

const CHUNK_NAME_RE = /^[0-9a-f]{64}$/;
const BAD_SUFFIX_RE = /^\.[0-9]\.bad$/;
const USING = ".using";

const rand = () => randomBytes(4).toString("hex").slice(0, 6);

export class S3ChunkStore implements ChunkBackend {
  /** Serialises inserts and renames of one digest inside this process (PBS's store mutex). */
  private readonly busy = new KeyedSerial();
  /** GC phase 2: the bucket's chunk objects by prefix, listed once per sweep (at prefix 0). */
  private listing: Map<number, { name: string; size: number }[]> | undefined;

  constructor(
    readonly cache: LocalChunkStore,
    readonly client: S3ObjectClient,
    readonly keys: S3Keys,
  ) {}

  chunkPath(digest: Uint8Array): string {
    return chunkRelPath(digest);
  }

  private file(hex: string): string {
    return `${this.cache.chunkDir}/${hex.slice(0, 4)}/${hex}`;
  }

  insertChunk(digest: Uint8Array, encodedBlob: Uint8Array): Promise<ChunkInsertResult> {
    const hex = digestHex(digest);
    return this.busy.run(hex, async () => {
      const size = encodedBlob.length;
      const cached = await stat(this.file(hex)).catch(() => undefined);
      // Same size: the same chunk (PBS keeps an existing one of equal size); touching it is GC's
      // mark, and a touch that finds it gone (GC got there first) falls through to an upload.
      if (cached?.isFile() && cached.size === size && (await this.cache.touchChunk(digest))) return { exists: true, size };
      await this.upload(hex, encodedBlob);
      return { exists: false, size };
    });
  }

  /** Cache copy first (as `.up_`), then the object, then the cache file under its name. */
  private async upload(hex: string, bytes: Uint8Array): Promise<void> {
    const file = this.file(hex);
    const tmp = `${file}.tmp_${rand()}`;
    const up = `${file}.up_${rand()}`;
    try {
      await writeFile(tmp, bytes, { flag: "wx", mode: 0o644 });
      await rename(tmp, up);
      await this.client.put(this.keys.chunkHex(hex), bytes);
      await rename(up, file);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      await unlink(up).catch(() => undefined);
      throw new CofferError("INTERNAL", `inserting chunk on store '${this.cache.name}' failed for ${hex} - ${errorMessage(err)}`, {
        cause: err,
      });
    }
  }

  /**
   * From the cache, else from the bucket. A downloaded chunk is checked end to end before it is
   * used or cached: its name is the sha256 of its plain data (encrypted chunks: the CRC only).
   */
  async readChunk(digest: Uint8Array): Promise<Buffer> {
    const hex = digestHex(digest);
    try {
      return await readFile(this.file(hex));
    } catch (err) {
      if (!isErrno(err, "ENOENT")) throw err;
    }
    const raw = await this.client.get(this.keys.chunkHex(hex));
    if (raw === undefined) {
      throw new CofferError("NOT_FOUND", `chunk ${hex} not found in store '${this.cache.name}' (object '${this.keys.chunkHex(hex)}')`);
    }
    const kind = blobKind(raw);
    if (kind !== "encrypted" && kind !== "encrypted-zstd") decodeChunk(raw, digest);
    await this.busy.run(hex, () => this.cacheDownloaded(hex, raw));
    return raw;
  }

  /**
   * Puts a chunk in the cache for verify's workers, which read local files, as it is in the
   * bucket: a corrupt object is cached as it is, so that verify finds and marks it (the object
   * too, see markBad). A missing one is left for the workers to report.
   */
  async fetchToCache(digest: Uint8Array): Promise<void> {
    const hex = digestHex(digest);
    if (await stat(this.file(hex)).catch(() => undefined)) return;
    const raw = await this.client.get(this.keys.chunkHex(hex));
    if (raw === undefined) return;
    await this.busy.run(hex, () => this.cacheDownloaded(hex, raw));
  }

  private async cacheDownloaded(hex: string, raw: Uint8Array): Promise<void> {
    const file = this.file(hex);
    if (await stat(file).catch(() => undefined)) return;
    const tmp = `${file}.tmp_${rand()}`;
    await writeFile(tmp, raw, { flag: "wx", mode: 0o644 });
    await rename(tmp, file);
  }

  async checkReachable(): Promise<void> {
    if (!(await this.client.headBucket())) throw new CofferError("NOT_FOUND", `failed to reach bucket '${this.client.bucket}': it does not exist`);
  }

  chunkTimes(digest: Uint8Array): Promise<StoredChunkTimes | undefined> {
    return this.cache.chunkTimes(digest);
  }

  touchChunk(digest: Uint8Array): Promise<boolean> {
    return this.cache.touchChunk(digest);
  }

  async chunkExists(digest: Uint8Array): Promise<boolean> {
    if (await this.cache.chunkExists(digest)) return true;
    return (await this.client.head(this.keys.chunk(digest))) !== undefined;
  }

  chunkFileForWorkers(digest: Uint8Array): string {
    return this.cache.chunkFileForWorkers(digest);
  }

  /**
   * Verify found the chunk corrupt: the cached copy becomes `<hex>.<n>.bad` (as on a local
   * store), and so does the object (copy, then delete), so that the next backup uploads the
   * chunk anew while the evidence stays for GC.
   */
  async markBad(digest: Uint8Array): Promise<string> {
    const hex = digestHex(digest);
    let bad: string;
    try {
      bad = await this.cache.markBad(digest);
    } catch (err) {
      if (!(err instanceof CofferError && err.code === "NOT_FOUND")) throw err;
      bad = `${this.file(hex)}.0.bad`;
    }
    const suffix = bad.slice(bad.length - ".0.bad".length);
    const key = this.keys.chunkHex(hex);
    if (await this.client.head(key)) {
      await this.client.copy(key, this.keys.chunkHex(hex, suffix));
      await this.client.delete(key);
    }
    return bad;
  }

  /** Phase 1: the cache file's atime, or a `.using` marker when the chunk is not cached. */
  async markChunksUsed(hexDigests: readonly string[], atime: number): Promise<string[]> {
    for (const hex of hexDigests) {
      const file = this.file(hex);
      if (touch(file, atime)) continue;
      const marker = file + USING;
      if (!touch(marker, atime)) {
        closeSync(openSync(marker, "a", 0o644));
        utimesSync(marker, atime, atime);
      }
    }
    // Whether an uncached chunk exists would cost a request each: verify finds missing chunks.
    return [];
  }

  async markBadCopiesUsed(hexDigest: string, atime: number): Promise<void> {
    for (let n = 0; n <= 9; n++) touch(`${this.file(hexDigest)}.${n}.bad`, atime);
  }

  /**
   * Phase 2 over the bucket: the objects of one prefix, each with the atime of its local mark
   * (cache file or `.using` marker; 0 when neither exists, so an unreferenced uncached object
   * goes). The bucket is listed once, when the sweep starts at prefix 0.
   */
  async listChunkBucket(prefix: number): Promise<StoredChunkFile[] | undefined> {
    if (prefix === 0 || this.listing === undefined) this.listing = await this.listBucket();
    const objects = this.listing.get(prefix);
    if (prefix === 0xffff) this.listing = undefined;
    if (!objects) return [];
    return objects.map(({ name, size }) => {
      const bad = name.length !== 64;
      const hex = name.slice(0, 64);
      const atime = Math.max(atimeOf(`${this.file(hex)}${bad ? name.slice(64) : ""}`), bad ? 0 : atimeOf(this.file(hex) + USING));
      return { name, bad, size, atime };
    });
  }

  private async listBucket(): Promise<Map<number, { name: string; size: number }[]>> {
    const byPrefix = new Map<number, { name: string; size: number }[]>();
    const base = this.keys.chunksPrefix();
    for await (const page of this.client.list(base)) {
      for (const o of page) {
        const rest = o.key.slice(base.length); // <4hex>/<name>
        const name = rest.slice(5);
        if (!CHUNK_NAME_RE.test(name.slice(0, 64)) || (name.length !== 64 && !BAD_SUFFIX_RE.test(name.slice(64)))) continue;
        const prefix = parseInt(rest.slice(0, 4), 16);
        let list = byPrefix.get(prefix);
        if (!list) byPrefix.set(prefix, (list = []));
        list.push({ name, size: o.size });
      }
    }
    return byPrefix;
  }

  async removeUnusedChunk(file: StoredChunkFile, minAtime: number): Promise<boolean> {
    const hex = file.name.slice(0, 64);
    const local = this.file(hex);
    if (file.bad) {
      await this.client.delete(this.keys.chunkHex(hex, file.name.slice(64)));
      try {
        unlinkSync(`${local}${file.name.slice(64)}`);
      } catch (err) {
        if (!isErrno(err, "ENOENT")) throw err;
      }
      return true;
    }
    return this.busy.run(hex, async () => {
      if (atimeOf(local + USING) >= minAtime) return false;
      const aside = `${local}.tmp_gc`;
      let cached = false;
      try {
        renameSync(local, aside);
        cached = true;
      } catch (err) {
        if (!isErrno(err, "ENOENT")) throw err;
      }
      if (cached && Math.floor(lstatSync(aside).atimeMs / 1000) >= minAtime) {
        renameSync(aside, local);
        return false;
      }
      await this.client.delete(this.keys.chunkHex(hex));
      await this.reuploadIfWritten(hex);
      if (cached) unlinkSync(aside);
      try {
        unlinkSync(local + USING);
      } catch (err) {
        if (!isErrno(err, "ENOENT")) throw err;
      }
      return true;
    });
  }

  /** After GC deleted an object: a writer's cache copy made meanwhile goes up again. */
  private async reuploadIfWritten(hex: string): Promise<void> {
    const dir = path.dirname(this.file(hex));
    const names = readdirSync(dir).filter((n) => n === hex || (n.startsWith(`${hex}.up_`) && n.length === 64 + 10));
    for (const name of names) {
      let bytes: Buffer;
      try {
        bytes = await readFile(`${dir}/${name}`);
      } catch (err) {
        // An `.up_` file renamed to `<hex>` between the readdir and the read: try the next name,
        // and the final name is in the list only if it existed; look once more.
        if (isErrno(err, "ENOENT")) continue;
        throw err;
      }
      await this.client.put(this.keys.chunkHex(hex), bytes);
      return;
    }
    // The `.up_` file was renamed after our readdir: read it under its final name.
    if (names.length > 0) {
      const bytes = await readFile(this.file(hex)).catch(() => undefined);
      if (bytes) await this.client.put(this.keys.chunkHex(hex), bytes);
    }
  }

}

function touch(file: string, atime: number): boolean {
  const st = lstatSync(file, { throwIfNoEntry: false });
  if (st === undefined) return false;
  try {
    utimesSync(file, atime, st.mtimeMs / 1000);
    return true;
  } catch (err) {
    if (isErrno(err, "ENOENT")) return false;
    throw err;
  }
}

function atimeOf(file: string): number {
  const st = lstatSync(file, { throwIfNoEntry: false });
  return st ? Math.floor(st.atimeMs / 1000) : 0;
}

