/**
 * The local file-system backend: a datastore is a directory in PBS's layout. Files get PBS's
 * modes (0644 files; directories 0755, `.chunks` 0750 is the chunk store's business).
 */
import {
  promises as fs,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  type Stats,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { assertRelative, type ChunkBackend, type DatastoreBackend, type EntryInfo, type StatInfo } from "./backend";
import { CofferError, isErrno } from "../model/errors";
import { writeFileAtomic } from "../../platform/atomic-file";
import { type IndexFile, localIndexFile } from "../format/index-file";

const FILE_MODE = 0o644;
const DIR_MODE = 0o755;

const STAT_BATCH = 512;

/**
 * What path.join would change or assertRelative refuse: `.` or `..` segments, empty segments, a
 * leading or trailing `/`, NUL. A path without any of them joins by concatenation.
 */
const NEEDS_NORMALISING = /(?:^|\/)\.{1,2}(?:\/|$)|\/\/|^\/|\/$|\0/;

function statInfo(st: Stats): StatInfo {
  return { size: st.size, isDirectory: st.isDirectory(), isFile: st.isFile(), mtimeMs: st.mtimeMs, atimeMs: st.atimeMs };
}

/**
 * Metadata calls and reads of the small files outside the chunk store (owner, notes, manifests,
 * blobs) are synchronous behind the async interface: on a local file system each takes a few
 * microseconds, while the same call through Node's thread pool costs a round trip of 100-200 us
 * under load, and a move makes several per snapshot (docs/locking.md, bench/move.ts). Chunks
 * (chunk backend) and whole-tree removal stay asynchronous.
 */
export class LocalBackend implements DatastoreBackend {
  readonly kind = "filesystem" as const;
  readonly base: string;
  private readonly baseSlash: string;
  readonly chunks: ChunkBackend;

  constructor(base: string, chunks: ChunkBackend) {
    this.base = base;
    const normal = path.normalize(base);
    this.baseSlash = normal.endsWith("/") ? normal : `${normal}/`;
    this.chunks = chunks;
  }

  absolute(rel: string): string {
    if (rel === "") return this.base;
    // A move calls this twice per snapshot: skip path.join's normalisation when there is none to do.
    if (!NEEDS_NORMALISING.test(rel)) return this.baseSlash + rel;
    return path.join(this.base, assertRelative(rel));
  }

  async readFile(rel: string): Promise<Buffer> {
    return readFileSync(this.absolute(rel));
  }

  async readFileIfExists(rel: string): Promise<Buffer | undefined> {
    try {
      return readFileSync(this.absolute(rel));
    } catch (err) {
      if (isErrno(err, "ENOENT")) return undefined;
      throw err;
    }
  }

  async writeFileAtomic(rel: string, data: Uint8Array | string): Promise<void> {
    await writeFileAtomic(this.absolute(rel), data, FILE_MODE);
  }

  async createFileExclusive(rel: string, data: Uint8Array | string): Promise<void> {
    writeFileSync(this.absolute(rel), data, { flag: "wx", mode: FILE_MODE });
  }

  async list(rel: string, options?: { missingOk?: boolean }): Promise<EntryInfo[]> {
    try {
      const entries = readdirSync(this.absolute(rel), { withFileTypes: true });
      return entries.map((e) => ({ name: e.name, isDirectory: e.isDirectory(), isFile: e.isFile() }));
    } catch (err) {
      if (options?.missingOk && isErrno(err, "ENOENT")) return [];
      throw err;
    }
  }

  async stat(rel: string): Promise<StatInfo | undefined> {
    // No exception for a missing entry: building one costs more than the lstat itself.
    const st = lstatSync(this.absolute(rel), { throwIfNoEntry: false });
    return st && statInfo(st);
  }

  /** In batches: between them the event loop runs, so 10,000 groups do not hold up other requests. */
  async statEntries(dirRel: string, names: readonly string[]): Promise<(StatInfo | undefined)[]> {
    const dir = `${this.absolute(dirRel)}/`;
    const out = new Array<StatInfo | undefined>(names.length);
    for (let i = 0; i < names.length; i++) {
      if (i > 0 && i % STAT_BATCH === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const name = names[i]!;
      if (name === "" || name === "." || name === ".." || name.includes("/") || name.includes("\0")) {
        throw new CofferError("BAD_REQUEST", `not a directory entry name: ${JSON.stringify(name)}`);
      }
      const st = lstatSync(dir + name, { throwIfNoEntry: false });
      out[i] = st ? statInfo(st) : undefined;
    }
    return out;
  }

  async exists(rel: string): Promise<boolean> {
    return (await this.stat(rel)) !== undefined;
  }

  async mkdir(rel: string, options?: { recursive?: boolean }): Promise<boolean> {
    const abs = this.absolute(rel);
    if (options?.recursive) {
      // mkdir -p returns the first directory it created, undefined when all existed.
      return mkdirSync(abs, { recursive: true, mode: DIR_MODE }) !== undefined;
    }
    try {
      mkdirSync(abs, { mode: DIR_MODE });
      return true;
    } catch (err) {
      if (isErrno(err, "EEXIST")) return false;
      throw err;
    }
  }

  async rmdir(rel: string): Promise<void> {
    rmdirSync(this.absolute(rel));
  }

  removeTree(rel: string): Promise<void> {
    if (rel === "") throw new Error("refusing to remove the datastore base directory");
    return fs.rm(this.absolute(rel), { recursive: true, force: true });
  }

  async unlink(rel: string, options?: { missingOk?: boolean }): Promise<void> {
    try {
      unlinkSync(this.absolute(rel));
    } catch (err) {
      if (options?.missingOk && isErrno(err, "ENOENT")) return;
      throw err;
    }
  }

  async rename(fromRel: string, toRel: string): Promise<void> {
    renameSync(this.absolute(fromRel), this.absolute(toRel));
  }

  indexFile(rel: string): IndexFile {
    return localIndexFile(this.absolute(rel));
  }

  /** Synchronous: GC reads every index of the store and paces itself (gc/gc-pace.ts). */
  async readIndexForGc(rel: string): Promise<Buffer | undefined> {
    try {
      return readFileSync(this.absolute(rel));
    } catch (err) {
      if (isErrno(err, "ENOENT")) return undefined;
      throw err;
    }
  }

  relative(absolute: string): string | undefined {
    const rel = path.relative(this.base, absolute);
    if (rel === "" || rel.startsWith("..") || path.isAbsolute(rel)) return undefined;
    return rel.split(path.sep).join("/");
  }
}
