/**
 * The local chunk store (reference 1.2): `.chunks/0000` .. `.chunks/ffff` under the datastore
 * base, each chunk an encoded DataBlob named by the sha256 of its plain data, in the directory of
 * its first two digest bytes. Inserts deduplicate by PBS's rules; `.lock` is created for PBS
 * compatibility (PBS's ProcessLocker file) but Coffer's own locks live elsewhere (DESIGN 5).
 */
import { KeyedSerial } from "./keyed-serial";
import { chmodSync, mkdirSync, statSync } from "node:fs";
import { chmod, mkdir, open, readFile, rename, stat, unlink, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { setImmediate as nextTick } from "node:timers/promises";
import type { ChunkBackend, ChunkInsertResult, StoredChunkFile, StoredChunkTimes } from "./backend";
import * as gc from "./local-chunk-gc";
import { CofferError, type ErrorCode, errorMessage, isErrno } from "../model/errors";
import {
  blobKind,
  COMPRESSED_BLOB_MAGIC,
  decodeChunk,
  ENCRYPTED_BLOB_MAGIC,
  UNCOMPRESSED_BLOB_MAGIC,
} from "../format/blob";

const CHUNK_DIR = ".chunks";
const LOCK_FILE = ".lock";
const PREFIX_COUNT = 0x10000;
/** Directories made per turn of the event loop: sync mkdir is several times faster than async
 * here (no thread-pool contention on the parent directory), and 256 keep each turn short. */
const MKDIR_BATCH = 256;

const q = (p: string) => JSON.stringify(p);

export function digestHex(digest: Uint8Array): string {
  if (digest.length !== 32) throw new CofferError("BAD_REQUEST", `invalid chunk digest: expected 32 bytes, got ${digest.length}`);
  return Buffer.from(digest.buffer, digest.byteOffset, 32).toString("hex");
}

export function parseDigest(hex: string): Buffer {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new CofferError("BAD_REQUEST", `invalid chunk digest ${q(hex)}: expected 64 hex characters`);
  }
  return Buffer.from(hex, "hex");
}

/** `.chunks/<first 4 hex>/<64 hex>`, relative to the datastore base. */
export function chunkRelPath(digest: Uint8Array): string {
  const hex = digestHex(digest);
  return `${CHUNK_DIR}/${hex.slice(0, 4)}/${hex}`;
}

function codeOf(err: unknown): ErrorCode {
  if (err instanceof CofferError) return err.code;
  if (isErrno(err, "ENOENT")) return "NOT_FOUND";
  if (isErrno(err, "EEXIST")) return "CONFLICT";
  return "INTERNAL";
}

const fail = (msg: string, err: unknown) =>
  new CofferError(codeOf(err), `${msg} - ${errorMessage(err)}`, { cause: err });

export interface ChunkStoreOptions {
  /** Store name for messages (PBS uses the datastore name); defaults to the base's basename. */
  name?: string;
}

export class LocalChunkStore implements ChunkBackend {
  readonly chunkDir: string;
  /** Serialises inserts and renames of one digest inside this process (PBS's store mutex). */
  private readonly busy = new KeyedSerial();

  private constructor(
    readonly base: string,
    readonly name: string,
  ) {
    this.chunkDir = path.join(base, CHUNK_DIR);
  }

  /**
   * Creates the store under an absolute `base` (made if missing): `.chunks` with its 65,536
   * prefix directories (0750) and an empty `.lock` (0644). Fails if `.chunks` exists, so it never
   * touches an existing store. `onProgress` gets each new whole percentage, as PBS logs
   * `Chunkstore create: N%`.
   */
  static async create(
    base: string,
    opts: ChunkStoreOptions & { onProgress?(pct: number): void } = {},
  ): Promise<LocalChunkStore> {
    const name = assertAbsolute(base, opts.name);
    const chunkDir = path.join(base, CHUNK_DIR);
    try {
      await mkdir(base, { recursive: true, mode: 0o755 });
    } catch (err) {
      throw fail(`unable to create chunk store '${name}' at ${q(base)}`, err);
    }
    try {
      await mkdir(chunkDir, { mode: 0o750 });
    } catch (err) {
      throw fail(`unable to create chunk store '${name}' subdir ${q(chunkDir)}`, err);
    }
    const lockPath = path.join(base, LOCK_FILE);
    await writeFile(lockPath, "", { mode: 0o644 });
    await chmod(lockPath, 0o644);

    let lastPct = 0;
    for (let i = 0; i < PREFIX_COUNT; i++) {
      const dir = path.join(chunkDir, i.toString(16).padStart(4, "0"));
      try {
        mkdirSync(dir, 0o750);
      } catch (err) {
        throw fail(`unable to create chunk store '${name}' subdir ${q(dir)}`, err);
      }
      const pct = Math.floor((i * 100) / PREFIX_COUNT);
      if (pct !== lastPct) {
        lastPct = pct;
        opts.onProgress?.(pct);
      }
      if (i % MKDIR_BATCH === MKDIR_BATCH - 1) await nextTick();
    }
    await fixModesIfUmaskInterfered(chunkDir);
    return LocalChunkStore.open(base, { name });
  }

  /** Opens an existing store; `.chunks` must exist. */
  static async open(base: string, opts: ChunkStoreOptions = {}): Promise<LocalChunkStore> {
    const name = assertAbsolute(base, opts.name);
    const chunkDir = path.join(base, CHUNK_DIR);
    try {
      // Synchronous, as the local backend's metadata calls are (local-backend.ts): every request
      // that opens the store pays this, and through Node's file thread pool it cost the server's
      // thread ten times the stat itself (about 40 us a request under load). A disk that hangs
      // would stall the thread at the listing that follows anyway.
      const st = statSync(chunkDir);
      if (!st.isDirectory()) throw new CofferError("INTERNAL", "not a directory");
    } catch (err) {
      throw fail(`unable to open chunk store at ${q(chunkDir)}`, err);
    }
    return new LocalChunkStore(base, name);
  }

  chunkPath(digest: Uint8Array): string {
    return chunkRelPath(digest);
  }

  absoluteChunkPath(digest: Uint8Array): string {
    return path.join(this.base, chunkRelPath(digest));
  }

  async chunkTimes(digest: Uint8Array): Promise<StoredChunkTimes | undefined> {
    const file = this.absoluteChunkPath(digest);
    try {
      const st = await stat(file, { bigint: true });
      return { identity: `${st.dev}:${st.ino}`, atimeNs: st.atimeNs, atime: st.atime, mtime: st.mtime, birthtime: st.birthtime };
    } catch (err) {
      if (isErrno(err, "ENOENT")) return undefined;
      throw fail(`failed to get metadata for ${q(file)}`, err);
    }
  }

  chunkFileForWorkers(digest: Uint8Array): string {
    return this.absoluteChunkPath(digest);
  }

  async markChunksUsed(hexDigests: readonly string[], atime: number): Promise<string[]> {
    return gc.markChunksUsed(this.chunkDir, hexDigests, atime);
  }

  async markBadCopiesUsed(hexDigest: string, atime: number): Promise<void> {
    gc.markBadCopiesUsed(this.chunkDir, hexDigest, atime);
  }

  async listChunkBucket(prefix: number): Promise<StoredChunkFile[] | undefined> {
    return gc.listChunkBucket(this.chunkDir, prefix, this.name);
  }

  async removeUnusedChunk(file: StoredChunkFile, minAtime: number): Promise<boolean> {
    return gc.removeUnusedChunk(this.chunkDir, file, minAtime);
  }

  async chunkExists(digest: Uint8Array): Promise<boolean> {
    try {
      return (await stat(this.absoluteChunkPath(digest))).isFile();
    } catch (err) {
      if (isErrno(err, "ENOENT")) return false;
      throw err;
    }
  }

  /**
   * PBS `insert_chunk`. An existing chunk of the same size is kept and only its atime touched
   * (GC's mark); a 0-byte one is overwritten; otherwise the smaller file wins. Encrypted chunks
   * never replace plain ones, nor plain encrypted ones of another size (same digest, different
   * content means an attack or a collision). New files are written to `<digest>.tmp_XXXXXX` in the
   * prefix directory (ignored by GC) and renamed into place.
   */
  insertChunk(digest: Uint8Array, encodedBlob: Uint8Array): Promise<ChunkInsertResult> {
    const hex = digestHex(digest);
    return this.busy.run(hex, async () => {
      const kind = blobKind(encodedBlob);
      const encrypted = kind === "encrypted" || kind === "encrypted-zstd";
      const file = this.absoluteChunkPath(digest);
      const size = encodedBlob.length;
      const old = await stat(file).catch((err: unknown) => {
        if (isErrno(err, "ENOENT")) return undefined;
        throw err;
      });
      if (old) {
        if (!old.isFile()) {
          throw new CofferError("INTERNAL", `got unexpected file type on store '${this.name}' for chunk ${hex}`);
        }
        if (old.size === size) return this.keepExisting(digest, old.size, encodedBlob);
        if (old.size !== 0) {
          if (encrypted) {
            const magic = await readMagic(file);
            // Going from plain to encrypted is never right: an encrypted digest includes the key.
            if (magic.equals(UNCOMPRESSED_BLOB_MAGIC) || magic.equals(COMPRESSED_BLOB_MAGIC)) {
              throw new CofferError(
                "CONFLICT",
                `Overwriting unencrypted chunk '${hex}' on store '${this.name}' with encrypted chunk with same digest not allowed!`,
              );
            }
            // Both plain-encrypted, sizes differ: one of them must be invalid. With compression
            // involved a size difference may come from zstd versions, so the first upload stays.
            if (magic.equals(ENCRYPTED_BLOB_MAGIC) && kind === "encrypted") {
              throw new CofferError("CONFLICT", `Overwriting existing (encrypted) chunk '${hex}' on store '${this.name}' is not allowed!`);
            }
            return this.keepExisting(digest, old.size, encodedBlob);
          }
          if (old.size < size) return this.keepExisting(digest, old.size, encodedBlob);
        }
      }
      await this.replaceFile(file, encodedBlob, hex);
      return { exists: false, size };
    });
  }

  private async keepExisting(digest: Uint8Array, size: number, encodedBlob: Uint8Array): Promise<ChunkInsertResult> {
    if (await this.touchChunk(digest)) return { exists: true, size };
    // Garbage collection (another process) removed it between our stat and our touch: the
    // writer must not count on it, so it is written anew.
    await this.replaceFile(this.absoluteChunkPath(digest), encodedBlob, digestHex(digest));
    return { exists: false, size: encodedBlob.length };
  }

  private async replaceFile(file: string, data: Uint8Array, hex: string): Promise<void> {
    const tmp = `${file}.tmp_${Math.random().toString(36).slice(2, 8).padEnd(6, "0")}`;
    try {
      await writeFile(tmp, data, { flag: "wx", mode: 0o644 });
      await rename(tmp, file);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw fail(`inserting chunk on store '${this.name}' failed for ${hex}`, err);
    }
  }

  async readChunk(digest: Uint8Array): Promise<Buffer> {
    const file = this.absoluteChunkPath(digest);
    try {
      return await readFile(file);
    } catch (err) {
      if (isErrno(err, "ENOENT")) {
        throw new CofferError("NOT_FOUND", `chunk ${digestHex(digest)} not found in store '${this.name}' (${q(file)})`, {
          cause: err,
        });
      }
      throw fail(`unable to read chunk ${digestHex(digest)} in store '${this.name}'`, err);
    }
  }

  /** Reads a chunk and checks it: CRC, and that its plain data hashes to `digest`. */
  async readVerified(digest: Uint8Array): Promise<Buffer> {
    return decodeChunk(await this.readChunk(digest), digest);
  }

  /**
   * Sets the atime to now and keeps the mtime (PBS uses UTIME_OMIT; Node has no such flag, so the
   * mtime is read and written back, exact to well under a microsecond).
   */
  async touchChunk(digest: Uint8Array): Promise<boolean> {
    const file = this.absoluteChunkPath(digest);
    try {
      const st = await stat(file, { bigint: true });
      await utimes(file, Date.now() / 1000, Number(st.mtimeNs) / 1e9);
      return true;
    } catch (err) {
      if (isErrno(err, "ENOENT")) return false;
      throw fail(`update atime failed for chunk/file ${q(file)}`, err);
    }
  }

  /**
   * Renames a corrupt chunk to `<digest>.<n>.bad` with the first free n in 0..9 (at 9 it stops
   * looking and overwrites), so a fresh upload can take its place while the evidence stays for GC
   * to count. Returns the new absolute path.
   */
  markBad(digest: Uint8Array): Promise<string> {
    const hex = digestHex(digest);
    return this.busy.run(hex, async () => {
      const file = this.absoluteChunkPath(digest);
      let n = 0;
      while (n < 9 && (await exists(`${file}.${n}.bad`))) n++;
      const bad = `${file}.${n}.bad`;
      try {
        await rename(file, bad);
      } catch (err) {
        throw fail(`could not rename corrupt chunk ${q(file)}`, err);
      }
      return bad;
    });
  }

}

function assertAbsolute(base: string, name: string | undefined): string {
  if (!path.isAbsolute(base)) throw new CofferError("BAD_REQUEST", `expected absolute path - got ${q(base)}`);
  return name ?? path.basename(base);
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

async function readMagic(file: string): Promise<Buffer> {
  const fh = await open(file, "r");
  try {
    const buf = Buffer.alloc(8);
    const { bytesRead } = await fh.read(buf, 0, 8, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** mkdir's mode is masked by the umask; PBS sets 0750 explicitly, so do the same when it bit. */
async function fixModesIfUmaskInterfered(chunkDir: string): Promise<void> {
  const probe = await stat(path.join(chunkDir, "0000"));
  if ((probe.mode & 0o777) === 0o750) return;
  await chmod(chunkDir, 0o750);
  for (let i = 0; i < PREFIX_COUNT; i++) {
    chmodSync(path.join(chunkDir, i.toString(16).padStart(4, "0")), 0o750);
    if (i % MKDIR_BATCH === MKDIR_BATCH - 1) await nextTick();
  }
}
