/**
 * Restore: writes one archive of a finished snapshot back to the local file system, so that a
 * backup can be proven byte-identical. An image becomes a file, a directory stream a directory
 * tree, a blob a file. Every chunk is checked on the way (CRC, and its data must hash to its
 * digest, as verify does), the index must match the manifest, and the snapshot is held with a
 * shared lock (PBS's reader lock), so it cannot be pruned while it is read.
 *
 * Safety: nothing outside `dest` is written. An existing destination is refused unless
 * `force`, and then replaced whole (never written into): the archive is restored beside it
 * first and renamed over it only when complete. Stream entries are checked before anything is
 * created: no absolute paths, no `.` or `..` components, and an entry's parent must be a
 * directory this restore created, so no entry can be written through a symlink (one from the
 * stream or one that was there). Files are created with O_EXCL | O_NOFOLLOW.
 */
import { createHash, randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { chmod, chown, lchown, link, lstat, lutimes, mkdir, open, rename, rm, symlink, unlink, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { CofferError, errorMessage, isErrno, withContext } from "../model/errors";
import { decodeBlob, decodeChunk } from "../format/blob";
import { DynamicIndexReader } from "../format/dynamic-index";
import { FixedIndexReader } from "../format/fixed-index";
import { manifestFile, verifyManifestFile } from "../format/manifest";
import { inSnapshot, snapshotDisplay } from "../storage/layout";
import { lockSnapshot } from "../locking/locks";
import { nullLog, type EngineLog } from "../model/log";
import { archiveFileName, type BackupNamespace, type SnapshotRef } from "../model/names";
import { readStoreOf, type ReadHandle } from "../open";
import type { Store } from "../storage/store";
import { parseStream, type StreamEntry, type StreamItem } from "./dir-stream";
import { humanSize } from "./progress";

export interface RestoreOptions {
  /** Replace an existing destination. */
  force?: boolean;
  log?: EngineLog;
  signal?: AbortSignal;
}

export interface RestoreResult {
  filename: string;
  kind: "image" | "directory" | "blob";
  dest: string;
  /** Archive bytes restored (image/stream size; blob: the file). */
  bytes: number;
  chunks: number;
  /** Directory streams: entries restored. */
  entries?: number;
}

/** Chunks read ahead of the one being written. */
const READ_AHEAD = 3;

type Index = FixedIndexReader | DynamicIndexReader;

/** The plain data of every chunk of `index`, in order, each checked against its digest and length. */
async function* chunkData(store: Store, index: Index, signal?: AbortSignal): AsyncGenerator<Buffer> {
  const load = async (i: number) => {
    const digest = index.digest(i);
    const data = decodeChunk(await store.backend.chunks.readChunk(digest), digest);
    const { start, end } = index.chunkRange(i);
    if (data.length !== end - start) {
      throw new CofferError("INTERNAL", `chunk ${digest.toString("hex")} has ${data.length} bytes, the index says ${end - start}`);
    }
    return data;
  };
  const ahead: Promise<Buffer>[] = [];
  try {
    for (let i = 0; i < index.count; i++) {
      signal?.throwIfAborted();
      while (ahead.length < READ_AHEAD && i + ahead.length < index.count) {
        const p = load(i + ahead.length);
        p.catch(() => undefined);
        ahead.push(p);
      }
      yield await ahead.shift()!;
    }
  } finally {
    await Promise.allSettled(ahead);
  }
}

/**
 * Restores `archive` (`disk.img` or `disk.img.fidx`) of snapshot `snap` to `dest`. Takes the
 * shared snapshot lock for the whole read. Refuses unfinished snapshots (no manifest), missing
 * archives, an existing `dest` without `force`, and a `dest` whose parent does not exist.
 */
export async function restoreArchive(
  handle: ReadHandle,
  ns: BackupNamespace,
  snap: SnapshotRef,
  archive: string,
  dest: string,
  opts: RestoreOptions = {},
): Promise<RestoreResult> {
  const store = readStoreOf(handle);
  const log = opts.log ?? nullLog;
  const filename = archiveFileName(archive);
  const target = path.resolve(dest);
  const display = snapshotDisplay(ns, snap);
  const guard = await lockSnapshot(store.name, ns, snap, "shared").catch((err: unknown) => {
    throw withContext(`unable to lock snapshot ${display} for reading`, err);
  });
  try {
    if (!(await store.backend.exists(inSnapshot(ns, snap, "")))) {
      throw new CofferError("NOT_FOUND", `snapshot ${display} does not exist`);
    }
    let manifest;
    try {
      manifest = await handle.readManifest(ns, snap);
    } catch (err) {
      if (isErrno(err, "ENOENT") || (err instanceof CofferError && err.code === "NOT_FOUND")) {
        throw new CofferError("BAD_REQUEST", `snapshot ${display} is unfinished (it has no manifest) and cannot be restored`);
      }
      throw err;
    }
    manifestFile(manifest, filename);
    const force = opts.force === true;
    await checkDestination(target, force);
    const raw = await store.backend.readFile(inSnapshot(ns, snap, filename));
    let result: RestoreResult;
    if (filename.endsWith(".blob")) {
      verifyManifestFile(manifest, filename, raw.length, sha256Hex(raw));
      const data = decodeBlob(raw);
      await replaceFile(target, force, async (tmp) => writeFile(tmp, data, { flag: "wx", mode: 0o644 }));
      result = { filename, kind: "blob", dest: target, bytes: data.length, chunks: 0 };
    } else {
      const index: Index = filename.endsWith(".fidx") ? FixedIndexReader.fromBuffer(raw) : DynamicIndexReader.fromBuffer(raw);
      const sum = index.indexChecksum();
      verifyManifestFile(manifest, filename, sum.size, sum.csum);
      if (index instanceof FixedIndexReader) {
        await replaceFile(target, force, (tmp) => writeImage(tmp, chunkData(store, index, opts.signal)));
        result = { filename, kind: "image", dest: target, bytes: index.size, chunks: index.count };
      } else {
        const entries = await replaceDirectory(target, force, (root) => restoreTree(parseStream(chunkData(store, index, opts.signal)), root));
        result = { filename, kind: "directory", dest: target, bytes: index.size, chunks: index.count, entries };
      }
    }
    log.info(`restored ${filename} of ${display} to '${target}': ${humanSize(result.bytes)} in ${result.chunks} chunks, every chunk verified`);
    return result;
  } catch (err) {
    throw withContext(`restore of '${filename}' from ${display} failed`, err);
  } finally {
    await guard.release();
  }
}

const sha256Hex = (b: Buffer) => createHash("sha256").update(b).digest("hex");

async function checkDestination(target: string, force: boolean): Promise<void> {
  const st = await lstat(target).catch((err: unknown) => {
    if (isErrno(err, "ENOENT")) return undefined;
    throw err;
  });
  if (st && !force) {
    throw new CofferError("CONFLICT", `destination '${target}' exists; use --force to replace it`);
  }
  const parent = await lstat(path.dirname(target)).catch(() => undefined);
  if (!parent?.isDirectory()) {
    throw new CofferError("NOT_FOUND", `the directory '${path.dirname(target)}' for destination '${target}' does not exist`);
  }
}

/** A name beside `target` for building the replacement (same directory: rename stays atomic). */
function besideName(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.coffer-restore-${randomBytes(4).toString("hex")}`);
}

/**
 * Writes a file through `write(tmp)` beside `target` and moves it into place; the temporary
 * file is removed on failure. With force it is renamed over the target; without, the target did
 * not exist when checked, and it is linked into place, which fails if something appeared there
 * meanwhile instead of replacing it.
 */
async function replaceFile(target: string, force: boolean, write: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = besideName(target);
  try {
    await write(tmp);
    if (force) {
      await rename(tmp, target);
    } else {
      await link(tmp, target).catch((err: unknown) => {
        if (isErrno(err, "EEXIST")) throw new CofferError("CONFLICT", `destination '${target}' appeared during the restore; not replaced`);
        throw err;
      });
      await unlink(tmp);
    }
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

async function writeImage(file: string, chunks: AsyncIterable<Buffer>): Promise<void> {
  const fh = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  try {
    let pos = 0;
    for await (const data of chunks) {
      let done = 0;
      while (done < data.length) done += (await fh.write(data, done, data.length - done, pos + done)).bytesWritten;
      pos += data.length;
    }
  } finally {
    await fh.close();
  }
}

/**
 * Builds the tree in a fresh directory beside `target` and renames it into place (an existing
 * target, allowed by force, is removed just before). Nothing is left behind on failure.
 */
async function replaceDirectory(target: string, force: boolean, build: (root: string) => Promise<number>): Promise<number> {
  const tmp = besideName(target);
  await mkdir(tmp, { mode: 0o700 });
  try {
    const n = await build(tmp);
    if (force) await rm(target, { recursive: true, force: true });
    await rename(tmp, target);
    return n;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

const unsafe = (p: string, why: string) =>
  new CofferError("BAD_REQUEST", `refusing stream entry ${JSON.stringify(p)}: ${why}`);

/** Checks an entry path; returns its parent's relative path (`.` for top-level entries). */
export function checkEntryPath(p: string): string {
  if (p === ".") return "";
  if (p.includes("\0")) throw unsafe(p, "it contains a NUL byte");
  if (p.startsWith("/")) throw unsafe(p, "absolute paths are not allowed");
  const parts = p.split("/");
  for (const c of parts) {
    if (c === "" || c === "." || c === "..") throw unsafe(p, "empty, '.' and '..' path components are not allowed");
  }
  return parts.length === 1 ? "." : parts.slice(0, -1).join("/");
}

const asRoot = () => process.getuid?.() === 0;
const seconds = (ns: bigint) => Number(ns) / 1e9;

async function applyMeta(abs: string, e: StreamEntry, link: boolean): Promise<void> {
  // chown before chmod: chown clears setuid/setgid bits.
  if (asRoot()) await (link ? lchown : chown)(abs, e.uid, e.gid);
  if (!link) await chmod(abs, e.mode);
  await (link ? lutimes : utimes)(abs, seconds(e.mtime), seconds(e.mtime));
}

/**
 * Restores a parsed stream below `root` (an empty directory this restore made). Returns the
 * number of entries. Directory modes and times are set last, deepest first, so that writing
 * their contents neither fails on a read-only mode nor moves their mtimes.
 */
async function restoreTree(items: AsyncIterable<StreamItem>, root: string): Promise<number> {
  const dirs = new Map<string, string>([[".", root]]);
  const dirMeta: { abs: string; entry: StreamEntry }[] = [];
  let open_: { fh: import("node:fs/promises").FileHandle; entry: StreamEntry; abs: string; pos: number } | undefined;
  let count = 0;
  let first = true;
  const closeFile = async () => {
    if (!open_) return;
    const { fh, entry, abs, pos } = open_;
    open_ = undefined;
    await fh.close();
    if (pos !== entry.size) throw new CofferError("INTERNAL", `invalid directory stream: '${entry.path}' ended early`);
    await applyMeta(abs, entry, false);
  };
  try {
    for await (const item of items) {
      if (item.kind === "data") {
        if (!open_) throw new CofferError("INTERNAL", "invalid directory stream: data outside a file");
        let done = 0;
        while (done < item.data.length) {
          done += (await open_.fh.write(item.data, done, item.data.length - done, open_.pos + done)).bytesWritten;
        }
        open_.pos += item.data.length;
        continue;
      }
      await closeFile();
      if (item.kind === "end") break;
      const e = item.entry;
      count++;
      if (e.path === ".") {
        if (!first || e.type !== "dir") throw unsafe(e.path, "the root entry must come first and be a directory");
        dirMeta.push({ abs: root, entry: e });
        first = false;
        continue;
      }
      first = false;
      const parent = checkEntryPath(e.path);
      const parentAbs = dirs.get(parent);
      if (parentAbs === undefined) {
        throw unsafe(e.path, `its parent '${parent}' is not a directory restored before it (a symlink or a missing entry)`);
      }
      const abs = path.join(parentAbs, path.basename(e.path));
      try {
        if (e.type === "dir") {
          await mkdir(abs, { mode: 0o700 });
          dirs.set(e.path, abs);
          dirMeta.push({ abs, entry: e });
        } else if (e.type === "symlink") {
          await symlink(e.target!, abs);
          await applyMeta(abs, e, true);
        } else {
          const fh = await open(abs, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
          open_ = { fh, entry: e, abs, pos: 0 };
          if (e.size === 0) await closeFile();
        }
      } catch (err) {
        if (isErrno(err, "EEXIST")) throw unsafe(e.path, "it appears twice in the stream");
        throw new CofferError("INTERNAL", `unable to restore ${JSON.stringify(e.path)}: ${errorMessage(err)}`, { cause: err });
      }
    }
  } finally {
    await open_?.fh.close().catch(() => undefined);
  }
  for (const { abs, entry } of dirMeta.reverse()) await applyMeta(abs, entry, false);
  return count;
}
