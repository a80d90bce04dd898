/**
 * The local file-system backend: a datastore is a directory in PBS's layout. Files get PBS's
 * modes (0644 files; directories 0755, `.chunks` 0750 is the chunk store's business).
 */
import { promises as fs, lstatSync, readFileSync, type Stats } from "node:fs";
import path from "node:path";
import { assertRelative, type ChunkBackend, type DatastoreBackend, type EntryInfo, type StatInfo } from "./backend";
import { CofferError, isErrno } from "../model/errors";
import { writeFileAtomic } from "../../platform/atomic-file";
import { type IndexFile, localIndexFile } from "../format/index-file";

const FILE_MODE = 0o644;
const DIR_MODE = 0o755;

const STAT_BATCH = 512;

function statInfo(st: Stats): StatInfo {
  return { size: st.size, isDirectory: st.isDirectory(), isFile: st.isFile(), mtimeMs: st.mtimeMs, atimeMs: st.atimeMs };
}

export class LocalBackend implements DatastoreBackend {
  readonly kind = "filesystem" as const;
  readonly base: string;
  readonly chunks: ChunkBackend;

  constructor(base: string, chunks: ChunkBackend) {
    this.base = base;
    this.chunks = chunks;
  }

  absolute(rel: string): string {
    return rel === "" ? this.base : path.join(this.base, assertRelative(rel));
  }

  readFile(rel: string): Promise<Buffer> {
    return fs.readFile(this.absolute(rel));
  }

  async readFileIfExists(rel: string): Promise<Buffer | undefined> {
    try {
      return await fs.readFile(this.absolute(rel));
    } catch (err) {
      if (isErrno(err, "ENOENT")) return undefined;
      throw err;
    }
  }

  async writeFileAtomic(rel: string, data: Uint8Array | string): Promise<void> {
    await writeFileAtomic(this.absolute(rel), data, FILE_MODE);
  }

  async createFileExclusive(rel: string, data: Uint8Array | string): Promise<void> {
    await fs.writeFile(this.absolute(rel), data, { flag: "wx", mode: FILE_MODE });
  }

  async list(rel: string, options?: { missingOk?: boolean }): Promise<EntryInfo[]> {
    try {
      const entries = await fs.readdir(this.absolute(rel), { withFileTypes: true });
      return entries.map((e) => ({ name: e.name, isDirectory: e.isDirectory(), isFile: e.isFile() }));
    } catch (err) {
      if (options?.missingOk && isErrno(err, "ENOENT")) return [];
      throw err;
    }
  }

  async stat(rel: string): Promise<StatInfo | undefined> {
    try {
      return statInfo(await fs.lstat(this.absolute(rel)));
    } catch (err) {
      if (isErrno(err, "ENOENT")) return undefined;
      throw err;
    }
  }

  /**
   * Synchronous lstat in batches: a metadata call through the thread pool costs 100-200 us in a
   * loop like this against a few us synchronously (issue 12's profile), so 10,000 groups take
   * tens of milliseconds instead of hundreds. Between batches the event loop runs, so other
   * requests are not held up for the whole list.
   */
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
      return (await fs.mkdir(abs, { recursive: true, mode: DIR_MODE })) !== undefined;
    }
    try {
      await fs.mkdir(abs, { mode: DIR_MODE });
      return true;
    } catch (err) {
      if (isErrno(err, "EEXIST")) return false;
      throw err;
    }
  }

  rmdir(rel: string): Promise<void> {
    return fs.rmdir(this.absolute(rel));
  }

  removeTree(rel: string): Promise<void> {
    if (rel === "") throw new Error("refusing to remove the datastore base directory");
    return fs.rm(this.absolute(rel), { recursive: true, force: true });
  }

  async unlink(rel: string, options?: { missingOk?: boolean }): Promise<void> {
    try {
      await fs.unlink(this.absolute(rel));
    } catch (err) {
      if (options?.missingOk && isErrno(err, "ENOENT")) return;
      throw err;
    }
  }

  rename(fromRel: string, toRel: string): Promise<void> {
    return fs.rename(this.absolute(fromRel), this.absolute(toRel));
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
