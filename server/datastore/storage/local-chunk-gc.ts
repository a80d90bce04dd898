/**
 * Garbage collection's side of the local chunk store (reference 5.2, 5.3): marking chunks used
 * by their atime, listing a prefix bucket, removing what nobody marked. Synchronous on purpose:
 * GC touches every chunk of the store, and an await per file would double its time (the caller
 * paces itself, see gc/gc-pace.ts, and hands over slices short enough to keep the lock
 * heartbeat running).
 */
import { lstatSync, lutimesSync, readdirSync, renameSync, unlinkSync } from "node:fs";
import type { StoredChunkFile } from "./backend";
import { CofferError, errorMessage, isErrno } from "../model/errors";

const CHUNK_NAME_RE = /^[0-9a-f]{64}$/;
const BAD_CHUNK_NAME_RE = /^[0-9a-f]{64}\.[0-9]\.bad$/;

const bucketName = (prefix: number) => prefix.toString(16).padStart(4, "0");

/**
 * Sets the atime to `atime` and keeps the mtime, without following symlinks (PBS: utimensat
 * with UTIME_NOW / UTIME_OMIT, AT_SYMLINK_NOFOLLOW). Node has no UTIME_OMIT, so the mtime is
 * read and written back. False when the file does not exist.
 */
function touch(file: string, atime: number): boolean {
  try {
    const st = lstatSync(file, { throwIfNoEntry: false });
    if (st === undefined) return false;
    lutimesSync(file, atime, st.mtimeMs / 1000);
    return true;
  } catch (err) {
    if (isErrno(err, "ENOENT")) return false;
    throw new CofferError("INTERNAL", `update atime failed for chunk/file ${JSON.stringify(file)} - ${errorMessage(err)}`, {
      cause: err,
    });
  }
}

export function markChunksUsed(chunkDir: string, hexDigests: readonly string[], atime: number): string[] {
  const missing: string[] = [];
  for (const hex of hexDigests) {
    if (!touch(`${chunkDir}/${hex.slice(0, 4)}/${hex}`, atime)) missing.push(hex);
  }
  return missing;
}

export function markBadCopiesUsed(chunkDir: string, hex: string, atime: number): void {
  const file = `${chunkDir}/${hex.slice(0, 4)}/${hex}`;
  for (let n = 0; n <= 9; n++) touch(`${file}.${n}.bad`, atime);
}

/**
 * Only names that are chunks are stat'ed; everything else (temp files of inserts in progress,
 * `.tmp_XXXXXX`, GC's own `.tmp_gc`) is left alone.
 */
export function listChunkBucket(chunkDir: string, prefix: number, storeName: string): StoredChunkFile[] | undefined {
  const sub = bucketName(prefix);
  const dir = `${chunkDir}/${sub}`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if (isErrno(err, "ENOENT")) return undefined; // a missing prefix directory is fine (PBS)
    throw new CofferError(
      "INTERNAL",
      `chunk iterator on chunk store '${storeName}' failed - unable to read subdir '${sub}' - ${errorMessage(err)}`,
      { cause: err },
    );
  }
  const files: StoredChunkFile[] = [];
  for (const name of names) {
    const bad = name.length !== 64;
    if (bad ? !BAD_CHUNK_NAME_RE.test(name) : !CHUNK_NAME_RE.test(name)) continue;
    const st = lstatSync(`${dir}/${name}`, { throwIfNoEntry: false });
    if (st === undefined || !st.isFile()) continue;
    files.push({ name, bad, size: st.size, atime: Math.floor(st.atimeMs / 1000) });
  }
  return files;
}

export function removeUnusedChunk(chunkDir: string, file: StoredChunkFile, minAtime: number): boolean {
  const abs = `${chunkDir}/${file.name.slice(0, 4)}/${file.name}`;
  if (file.bad) {
    unlinkSync(abs);
    return true;
  }
  return removeUnlessTouched(abs, minAtime);
}

/**
 * Removes an unused chunk unless a backup writer (another process) touched it after the sweep
 * listed it: the writer found it existing and only refreshed its atime, so its new index will
 * point at it. PBS closes this race with a chunk-store mutex inside its one daemon; across
 * processes the chunk is first renamed aside (a writer touching the old name now gets ENOENT
 * and writes the chunk anew), then its atime is read again: touched meanwhile means it goes
 * back. Returns true when the chunk was removed.
 */
export function removeUnlessTouched(file: string, minAtime: number): boolean {
  const aside = `${file}.tmp_gc`;
  renameSync(file, aside);
  const st = lstatSync(aside);
  if (Math.floor(st.atimeMs / 1000) >= minAtime) {
    renameSync(aside, file);
    return false;
  }
  unlinkSync(aside);
  return true;
}
