/**
 * Coffer's directory stream, version 1: how a directory tree becomes one byte stream for a
 * dynamic-chunk archive (`<name>.pxar.didx` / `<name>.didx`), and how it is read back. It is
 * not PBS's pxar (proxmox-backup-client cannot extract it); the snapshot, its index and its
 * chunks are ordinary PBS format, so GC, verify, prune, moves and sync treat it like any other
 * dynamic archive. docs/backup.md describes the format for people; this is the definition.
 *
 *   stream  = header record* end
 *   header  = "CDIRSTRM" (8 bytes) | version u32 LE (= 1) | flags u32 LE (= 0)
 *   record  = "ENTR" | len u32 LE | JSON (len bytes, UTF-8) | data (`size` bytes, files only)
 *   end     = "END!" | len u32 LE | JSON {"entries": n, "bytes": total file bytes}
 *
 * Entry JSON: `path` (relative, `/`-separated, `.` for the root directory), `type` (`dir`,
 * `file`, `symlink`), `mode` (permission bits, 0..0o7777), `uid`, `gid`, `mtime` (nanoseconds
 * since the epoch, a decimal string: it exceeds 2^53), `size` (files), `target` (symlinks).
 * Readers ignore keys they do not know (additions stay version 1) and refuse unknown types,
 * tags and versions. Entries come depth-first, a directory before its contents, names sorted,
 * so the same tree always gives the same stream and unchanged files cut into the same chunks.
 * The end record carries counts, so a truncated stream is an error, not a smaller tree.
 */
import { createHash } from "node:crypto";
import { isUtf8 } from "node:buffer";
import { constants } from "node:fs";
import { lstat, open, readdir, readlink } from "node:fs/promises";
import path from "node:path";
import { CofferError, errorMessage, isErrno } from "../model/errors";
import type { EngineLog } from "../model/log";
import type { RateLimiter } from "./rate-limit";

export const STREAM_MAGIC = Buffer.from("CDIRSTRM", "latin1");
export const STREAM_VERSION = 1;
export const TAG_ENTRY = Buffer.from("ENTR", "latin1");
export const TAG_END = Buffer.from("END!", "latin1");
/** Largest entry header accepted when reading (a path is at most 4096 bytes on Linux). */
export const MAX_HEADER_BYTES = 64 * 1024;
/** File data is read and emitted in pieces of this size. */
const READ_PIECE = 1024 * 1024;

export type EntryType = "dir" | "file" | "symlink";

export interface StreamEntry {
  path: string;
  type: EntryType;
  mode: number;
  uid: number;
  gid: number;
  /** Nanoseconds since the epoch. */
  mtime: bigint;
  size?: number;
  target?: string;
}

/** One entry found by the scan, with what change detection compares. */
export interface TreeEntry extends StreamEntry {
  abs: string;
  ctime: bigint;
  ino: bigint;
  dev: bigint;
}

export interface ScanResult {
  entries: TreeEntry[];
  /** Entries left out (sockets, fifos, devices, other file systems), for the log. */
  skipped: string[];
  /** sha256 over every entry's metadata (change detection's fingerprint of the tree). */
  digest: string;
  /** The newest ctime in the tree (change detection's racy check). */
  newestCtime: bigint;
  fileBytes: number;
}

const corrupt = (msg: string) => new CofferError("INTERNAL", `invalid directory stream: ${msg}`);

function entryOf(abs: string, rel: string, st: import("node:fs").BigIntStats, target?: string): TreeEntry {
  const type: EntryType = st.isDirectory() ? "dir" : st.isSymbolicLink() ? "symlink" : "file";
  const e: TreeEntry = {
    path: rel,
    type,
    mode: Number(st.mode & 0o7777n),
    uid: Number(st.uid),
    gid: Number(st.gid),
    mtime: st.mtimeNs,
    abs,
    ctime: st.ctimeNs,
    ino: st.ino,
    dev: st.dev,
  };
  if (type === "file") e.size = Number(st.size);
  if (type === "symlink") e.target = target;
  return e;
}

/**
 * Walks `root` (lstat only, nothing is read): every directory, regular file and symlink, in
 * stream order. Stays on the root's file system (a mount point is kept as an empty directory),
 * as proxmox-backup-client does by default. Names that are not UTF-8 are refused: the stream
 * stores paths as JSON strings.
 */
export async function scanTree(root: string): Promise<ScanResult> {
  const entries: TreeEntry[] = [];
  const skipped: string[] = [];
  const rootSt = await lstat(root, { bigint: true });
  if (!rootSt.isDirectory()) throw new CofferError("BAD_REQUEST", `'${root}' is not a directory`);
  const walk = async (abs: string, rel: string, st: import("node:fs").BigIntStats): Promise<void> => {
    entries.push(entryOf(abs, rel, st));
    if (st.dev !== rootSt.dev) {
      skipped.push(`${abs} (mount point of another file system: its contents are not included)`);
      return;
    }
    const names = (await readdir(abs, { encoding: "buffer" })).map((raw) => {
      if (!isUtf8(raw)) {
        throw new CofferError("BAD_REQUEST", `cannot back up ${JSON.stringify(path.join(abs, raw.toString("latin1")))}: its name is not valid UTF-8`);
      }
      return raw.toString("utf8");
    });
    names.sort();
    for (const name of names) {
      const childAbs = path.join(abs, name);
      const childRel = rel === "." ? name : `${rel}/${name}`;
      let cst;
      try {
        cst = await lstat(childAbs, { bigint: true });
      } catch (err) {
        if (isErrno(err, "ENOENT")) continue; // vanished since readdir: as if it never was
        throw err;
      }
      if (cst.isDirectory()) await walk(childAbs, childRel, cst);
      else if (cst.isFile()) entries.push(entryOf(childAbs, childRel, cst));
      else if (cst.isSymbolicLink()) entries.push(entryOf(childAbs, childRel, cst, await readlink(childAbs)));
      else skipped.push(`${childAbs} (not a regular file, directory or symlink)`);
    }
  };
  await walk(root, ".", rootSt);
  const hash = createHash("sha256");
  let newestCtime = 0n;
  let fileBytes = 0;
  for (const e of entries) {
    hash.update(
      `${e.path}\0${e.type}\0${e.mode}\0${e.uid}\0${e.gid}\0${e.size ?? ""}\0${e.mtime}\0${e.ctime}\0${e.ino}\0${e.dev}\0${e.target ?? ""}\n`,
    );
    if (e.ctime > newestCtime) newestCtime = e.ctime;
    if (e.mtime > newestCtime) newestCtime = e.mtime;
    fileBytes += e.size ?? 0;
  }
  return { entries, skipped, digest: hash.digest("hex"), newestCtime, fileBytes };
}

function record(tag: Buffer, json: object): Buffer {
  const body = Buffer.from(JSON.stringify(json), "utf8");
  const head = Buffer.alloc(8);
  tag.copy(head, 0);
  head.writeUInt32LE(body.length, 4);
  return Buffer.concat([head, body]);
}

/**
 * The stream of a tree that exists only in memory (the demo datastore): entries in stream
 * order, each file with its data (whose length is the entry's size).
 */
export function* encodeEntries(items: Iterable<{ entry: StreamEntry; data?: Buffer }>): Generator<Buffer> {
  yield streamHeader();
  let count = 0;
  let bytes = 0;
  for (const { entry, data } of items) {
    const size = entry.type === "file" ? (data?.length ?? 0) : 0;
    yield record(TAG_ENTRY, entryJson(entry.type === "file" ? { ...entry, size } : entry));
    if (size > 0) yield data!;
    count++;
    bytes += size;
  }
  yield record(TAG_END, { entries: count, bytes });
}

export function streamHeader(): Buffer {
  const h = Buffer.alloc(16);
  STREAM_MAGIC.copy(h, 0);
  h.writeUInt32LE(STREAM_VERSION, 8);
  return h;
}

function entryJson(e: StreamEntry): Record<string, unknown> {
  const j: Record<string, unknown> = { path: e.path, type: e.type, mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime.toString() };
  if (e.type === "file") j.size = e.size;
  if (e.type === "symlink") j.target = e.target;
  return j;
}

export interface EncodeOptions {
  limiter?: RateLimiter;
  signal?: AbortSignal;
  log?: EngineLog;
  /** Called when a file changed or vanished after the scan: the tree must not be reused next time. */
  onChanged?: (why: string) => void;
}

/**
 * The stream of a scanned tree, in pieces. File contents are read now (O_NOFOLLOW, so a file
 * replaced by a symlink since the scan is not followed). A file that vanished since the scan is
 * left out with a warning; one that shrank while it was read fails the stream (its header
 * already promised its size); one that changed otherwise is stored as read, with a warning.
 */
export async function* encodeTree(scan: ScanResult, opts: EncodeOptions = {}): AsyncGenerator<Buffer> {
  yield streamHeader();
  let count = 0;
  let bytes = 0;
  for (const e of scan.entries) {
    opts.signal?.throwIfAborted();
    if (e.type !== "file") {
      yield record(TAG_ENTRY, entryJson(e));
      count++;
      continue;
    }
    let fh;
    try {
      fh = await open(e.abs, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (err) {
      if (isErrno(err, "ENOENT")) {
        opts.log?.warn(`${e.abs}: vanished since the scan, left out`);
        opts.onChanged?.(`${e.abs} vanished`);
        continue;
      }
      throw new CofferError("INTERNAL", `unable to open ${JSON.stringify(e.abs)}: ${errorMessage(err)}`, { cause: err });
    }
    try {
      const before = await fh.stat({ bigint: true });
      if (!before.isFile() || before.ino !== e.ino) {
        throw new CofferError("CONFLICT", `${JSON.stringify(e.abs)} was replaced since the scan`);
      }
      yield record(TAG_ENTRY, entryJson(e));
      count++;
      const size = e.size!;
      let done = 0;
      while (done < size) {
        const want = Math.min(READ_PIECE, size - done);
        await opts.limiter?.take(want, opts.signal);
        const buf = Buffer.allocUnsafe(want);
        const { bytesRead } = await fh.read(buf, 0, want, done);
        if (bytesRead === 0) {
          throw new CofferError("CONFLICT", `${JSON.stringify(e.abs)} shrank while it was read (expected ${size} bytes, got ${done})`);
        }
        done += bytesRead;
        yield bytesRead === want ? buf : buf.subarray(0, bytesRead);
      }
      bytes += size;
      const after = await fh.stat({ bigint: true });
      if (after.size !== before.size || after.mtimeNs !== e.mtime || after.ctimeNs !== e.ctime) {
        opts.log?.warn(`${e.abs}: changed while it was read (stored as read)`);
        opts.onChanged?.(`${e.abs} changed`);
      }
    } finally {
      await fh.close();
    }
  }
  yield record(TAG_END, { entries: count, bytes });
}

/** What reading a stream yields, in order: an entry, then (files) its data in pieces. */
export type StreamItem =
  | { kind: "entry"; entry: StreamEntry }
  | { kind: "data"; data: Buffer }
  | { kind: "end"; entries: number; bytes: number };

/** Reads exact byte counts from a stream of buffers of any size. */
class ByteReader {
  private buf: Buffer = Buffer.alloc(0);
  private readonly it: AsyncIterator<Buffer>;
  private ended = false;

  constructor(source: AsyncIterable<Buffer>) {
    this.it = source[Symbol.asyncIterator]();
  }

  private async fill(n: number): Promise<boolean> {
    while (this.buf.length < n && !this.ended) {
      const r = await this.it.next();
      if (r.done) this.ended = true;
      else this.buf = this.buf.length === 0 ? r.value : Buffer.concat([this.buf, r.value]);
    }
    return this.buf.length >= n;
  }

  async exact(n: number, what: string): Promise<Buffer> {
    if (!(await this.fill(n))) throw corrupt(`truncated in ${what}`);
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** Up to `max` bytes (at least 1), for file data. */
  async some(max: number, what: string): Promise<Buffer> {
    if (!(await this.fill(1))) throw corrupt(`truncated in ${what}`);
    const out = this.buf.subarray(0, Math.min(max, this.buf.length));
    this.buf = this.buf.subarray(out.length);
    return out;
  }

  async atEnd(): Promise<boolean> {
    return !(await this.fill(1));
  }
}

const ENTRY_TYPES: readonly string[] = ["dir", "file", "symlink"];

/** Checks one entry header's JSON (framing only; paths are checked by whoever uses them). */
export function parseEntry(json: unknown): StreamEntry {
  if (json === null || typeof json !== "object") throw corrupt("entry header is not an object");
  const j = json as Record<string, unknown>;
  const int = (k: string, max: number) => {
    const v = j[k];
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0 || v > max) throw corrupt(`entry field '${k}' is invalid`);
    return v;
  };
  if (typeof j.path !== "string" || j.path.length === 0) throw corrupt("entry without a path");
  if (typeof j.type !== "string" || !ENTRY_TYPES.includes(j.type)) {
    throw corrupt(`entry '${j.path}' has unknown type ${JSON.stringify(j.type)} (this Coffer reads version ${STREAM_VERSION})`);
  }
  if (typeof j.mtime !== "string" || !/^-?[0-9]{1,25}$/.test(j.mtime)) throw corrupt(`entry '${j.path}' has an invalid mtime`);
  const e: StreamEntry = {
    path: j.path,
    type: j.type as EntryType,
    mode: int("mode", 0o7777),
    uid: int("uid", 0xffffffff),
    gid: int("gid", 0xffffffff),
    mtime: BigInt(j.mtime),
  };
  if (e.type === "file") e.size = int("size", Number.MAX_SAFE_INTEGER);
  if (e.type === "symlink") {
    if (typeof j.target !== "string" || j.target.length === 0) throw corrupt(`symlink '${j.path}' has no target`);
    e.target = j.target;
  }
  return e;
}

/** Parses a stream (checking its framing and counts); paths are checked by the restorer. */
export async function* parseStream(source: AsyncIterable<Buffer>): AsyncGenerator<StreamItem> {
  const r = new ByteReader(source);
  const head = await r.exact(16, "the stream header");
  if (!head.subarray(0, 8).equals(STREAM_MAGIC)) throw corrupt("wrong magic (not a Coffer directory stream)");
  const version = head.readUInt32LE(8);
  if (version !== STREAM_VERSION) throw corrupt(`version ${version} is not supported (this Coffer reads version ${STREAM_VERSION})`);
  let count = 0;
  let bytes = 0;
  for (;;) {
    const rec = await r.exact(8, "a record header");
    const tag = rec.subarray(0, 4);
    const len = rec.readUInt32LE(4);
    if (len > MAX_HEADER_BYTES) throw corrupt(`record header of ${len} bytes (at most ${MAX_HEADER_BYTES})`);
    let json: unknown;
    try {
      json = JSON.parse((await r.exact(len, "a record")).toString("utf8"));
    } catch (err) {
      if (err instanceof CofferError) throw err;
      throw corrupt(`record is not JSON: ${errorMessage(err)}`);
    }
    if (tag.equals(TAG_END)) {
      const end = json as { entries?: unknown; bytes?: unknown };
      if (end.entries !== count || end.bytes !== bytes) {
        throw corrupt(`end record counts ${String(end.entries)} entries / ${String(end.bytes)} bytes, the stream held ${count} / ${bytes}`);
      }
      if (!(await r.atEnd())) throw corrupt("data after the end record");
      yield { kind: "end", entries: count, bytes };
      return;
    }
    if (!tag.equals(TAG_ENTRY)) throw corrupt(`unknown record tag ${JSON.stringify(tag.toString("latin1"))}`);
    const entry = parseEntry(json);
    count++;
    yield { kind: "entry", entry };
    let left = entry.size ?? 0;
    while (left > 0) {
      const data = await r.some(left, `the data of '${entry.path}'`);
      left -= data.length;
      bytes += data.length;
      yield { kind: "data", data };
    }
  }
}
