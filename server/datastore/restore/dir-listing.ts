/**
 * The file listing of a directory archive (Coffer's directory stream, backup/dir-stream.ts),
 * read by random access: each entry's header is read and its file data skipped by offset, so
 * listing a 50 GiB tree reads only the chunks that hold headers (the `.didx` gives every
 * chunk's end, ArchiveReader.readAt finds the chunk of any offset). The stream is checked as
 * the restorer checks it: the root first, safe relative paths, every parent a directory listed
 * before its entries, and the end record's counts.
 *
 * Listings are cached per snapshot archive, keyed by the index checksum: a finished snapshot
 * never changes, and a changed index is a different key.
 */
import { CofferError, errorMessage } from "../model/errors";
import { checkEntryPath } from "../backup/restore";
import { MAX_HEADER_BYTES, parseEntry, STREAM_MAGIC, STREAM_VERSION, TAG_END, TAG_ENTRY, type EntryType } from "../backup/dir-stream";
import type { ArchiveReader } from "./archive-reader";

export interface ListedEntry {
  /** Relative path, `/`-separated; `""` for the archive's root directory. */
  path: string;
  type: EntryType;
  mode: number;
  uid: number;
  gid: number;
  /** Nanoseconds since the epoch. */
  mtime: bigint;
  /** Files: data bytes. */
  size: number;
  target?: string;
  /** Files: where the data starts in the archive. */
  offset: number;
}

export interface DirListing {
  /** Every entry, in stream order (depth-first, a directory before its contents, names sorted). */
  entries: ListedEntry[];
  /** Directory path -> indexes into `entries` of its direct children. */
  children: Map<string, number[]>;
  byPath: Map<string, number>;
}

const corrupt = (msg: string) => new CofferError("INTERNAL", `invalid directory stream: ${msg}`);

/** Reads the listing of an open directory archive (not cached: see `cachedListing`). */
export async function readListing(reader: ArchiveReader): Promise<DirListing> {
  if (reader.file.kind !== "directory") throw new CofferError("BAD_REQUEST", `'${reader.file.filename}' is not a directory archive`);
  const size = reader.size;
  if (size < 16) throw corrupt("truncated in the stream header");
  const head = await reader.readAt(0, 16);
  if (!head.subarray(0, 8).equals(STREAM_MAGIC)) throw corrupt("wrong magic (not a Coffer directory stream)");
  const version = head.readUInt32LE(8);
  if (version !== STREAM_VERSION) throw corrupt(`version ${version} is not supported (this Coffer reads version ${STREAM_VERSION})`);
  const entries: ListedEntry[] = [];
  const children = new Map<string, number[]>();
  const byPath = new Map<string, number>();
  let pos = 16;
  let bytes = 0;
  for (;;) {
    reader.signal.throwIfAborted();
    if (pos + 8 > size) throw corrupt("truncated in a record header");
    const rec = await reader.readAt(pos, 8);
    const tag = rec.subarray(0, 4);
    const len = rec.readUInt32LE(4);
    if (len > MAX_HEADER_BYTES) throw corrupt(`record header of ${len} bytes (at most ${MAX_HEADER_BYTES})`);
    if (pos + 8 + len > size) throw corrupt("truncated in a record");
    let json: unknown;
    try {
      json = JSON.parse((await reader.readAt(pos + 8, len)).toString("utf8"));
    } catch (err) {
      if (err instanceof CofferError) throw err;
      throw corrupt(`record is not JSON: ${errorMessage(err)}`);
    }
    pos += 8 + len;
    if (tag.equals(TAG_END)) {
      const end = json as { entries?: unknown; bytes?: unknown };
      if (end.entries !== entries.length || end.bytes !== bytes) {
        throw corrupt(`end record counts ${String(end.entries)} entries / ${String(end.bytes)} bytes, the stream held ${entries.length} / ${bytes}`);
      }
      if (pos !== size) throw corrupt("data after the end record");
      return { entries, children, byPath };
    }
    if (!tag.equals(TAG_ENTRY)) throw corrupt(`unknown record tag ${JSON.stringify(tag.toString("latin1"))}`);
    const e = parseEntry(json);
    const fileSize = e.size ?? 0;
    if (pos + fileSize > size) throw corrupt(`the data of '${e.path}' runs past the end of the archive`);
    let rel: string;
    if (entries.length === 0) {
      if (e.path !== "." || e.type !== "dir") throw corrupt("the root entry must come first and be a directory");
      rel = "";
    } else {
      if (e.path === ".") throw corrupt("a second root entry");
      const parent = checkEntryPath(e.path);
      const parentRel = parent === "." ? "" : parent;
      const p = byPath.get(parentRel);
      if (p === undefined || entries[p]!.type !== "dir") throw corrupt(`the parent of '${e.path}' is not a directory listed before it`);
      if (byPath.has(e.path)) throw corrupt(`'${e.path}' appears twice`);
      rel = e.path;
      children.get(parentRel)!.push(entries.length);
    }
    const listed: ListedEntry = { path: rel, type: e.type, mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime, size: fileSize, offset: pos };
    if (e.target !== undefined) listed.target = e.target;
    byPath.set(rel, entries.length);
    if (e.type === "dir") children.set(rel, []);
    entries.push(listed);
    pos += fileSize;
    bytes += fileSize;
  }
}

/** Listings kept; each is a few hundred bytes per entry. */
const CACHE_SIZE = 8;
const cache = new Map<string, Promise<DirListing>>();

/**
 * The listing of an open directory archive, from the cache when this snapshot archive was
 * listed before. `key` must identify the archive's content (ArchiveReader.cacheKey).
 */
export function cachedListing(reader: ArchiveReader): Promise<DirListing> {
  const key = reader.cacheKey;
  let p = cache.get(key);
  if (p) {
    cache.delete(key);
    cache.set(key, p); // most recently used last
    return p;
  }
  p = readListing(reader);
  p.catch(() => cache.delete(key));
  cache.set(key, p);
  while (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
  return p;
}

/** The entry at `path` (`""`: the root); NOT_FOUND naming the archive otherwise. */
export function entryAt(listing: DirListing, reader: ArchiveReader, path: string): ListedEntry {
  const i = listing.byPath.get(path);
  if (i === undefined) throw new CofferError("NOT_FOUND", `'${path}' is not in archive '${reader.file.filename}' of ${reader.display}`);
  return listing.entries[i]!;
}

/** `dir` and everything below it, in stream order. */
export function* subtree(listing: DirListing, dir: string): Generator<ListedEntry> {
  const start = listing.byPath.get(dir);
  if (start === undefined) return;
  const prefix = dir === "" ? "" : `${dir}/`;
  yield listing.entries[start]!;
  // Stream order is depth-first, so the subtree is the run of entries after `dir` under its prefix.
  for (let i = start + 1; i < listing.entries.length; i++) {
    const e = listing.entries[i]!;
    if (!e.path.startsWith(prefix)) break;
    yield e;
  }
}
