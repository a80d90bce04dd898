/**
 * What the console downloads from a snapshot (PBS /download, /pxar-file-download): an image or
 * a blob as its bytes, a directory archive (or one folder of it) as a tar, one file of it as
 * its bytes. The size is known before the first byte (the tar's too: tar-writer.ts), so the
 * browser can show real progress. Bytes come from ArchiveReader: every chunk is checked on
 * the way, and a bad chunk ends the body with an error instead of sending wrong data.
 */
import { CofferError } from "../model/errors";
import type { BackupNamespace, SnapshotRef } from "../model/names";
import type { ReadHandle } from "../open";
import { ArchiveReader, listArchives, type ArchiveInfo, type ArchiveKind } from "./archive-reader";
import { cachedListing, entryAt, subtree, type DirListing, type ListedEntry } from "./dir-listing";
import { padding, TAR_END, tarHeader, tarSize, type TarEntry } from "./tar-writer";

export { listArchives, type ArchiveInfo, type ArchiveKind };

export interface Download {
  /** The name the browser saves it as. */
  filename: string;
  contentType: string;
  /** Exact byte count of `body`. */
  size: number;
  /** The bytes; ends (and releases the snapshot) when done, failed or returned early. */
  body: AsyncGenerator<Buffer>;
  /** Releases the snapshot when the body is never read. Safe to call more than once. */
  close(): Promise<void>;
}

/** One row of the file browser. */
export interface BrowseEntry {
  name: string;
  /** Path inside the archive, for the next browse or download call. */
  path: string;
  type: ListedEntry["type"];
  /** Files: bytes. */
  size: number;
  /** Milliseconds since the epoch. */
  mtime: number;
  mode: number;
  target?: string;
}

export interface BrowseResult {
  archive: string;
  path: string;
  entries: BrowseEntry[];
  /** Entries and file bytes in the whole archive. */
  totalEntries: number;
  totalBytes: number;
}

/** `root.pxar.didx` -> `root`, `drive-scsi0.img.fidx` -> `drive-scsi0.img`, `pct.conf.blob` -> `pct.conf`. */
export function archiveBaseName(filename: string): string {
  return filename.replace(/\.(fidx|didx|blob)$/, "").replace(/\.(pxar|mpxar|ppxar)$/, "");
}

const basename = (p: string) => p.slice(p.lastIndexOf("/") + 1);

async function withReader<T>(handle: ReadHandle, ns: BackupNamespace, snap: SnapshotRef, archive: string, fn: (r: ArchiveReader) => Promise<T>): Promise<T> {
  const reader = await ArchiveReader.open(handle, ns, snap, archive);
  try {
    return await fn(reader);
  } finally {
    await reader.close();
  }
}

function directoryOnly(reader: ArchiveReader): void {
  if (reader.file.kind !== "directory") {
    throw new CofferError("BAD_REQUEST", `'${reader.file.filename}' is ${reader.file.kind === "image" ? "an image" : "a blob"}, not a directory archive: it has no files to browse`);
  }
}

/** The direct children of folder `path` (`""`: the root) of directory archive `archive`. */
export async function browseArchive(handle: ReadHandle, ns: BackupNamespace, snap: SnapshotRef, archive: string, path: string): Promise<BrowseResult> {
  return withReader(handle, ns, snap, archive, async (reader) => {
    directoryOnly(reader);
    const listing = await cachedListing(reader);
    const dir = entryAt(listing, reader, path);
    if (dir.type !== "dir") throw new CofferError("BAD_REQUEST", `'${path}' in '${archive}' is a ${dir.type === "file" ? "file" : "symlink"}, not a folder`);
    const entries = listing.children.get(path)!.map((i): BrowseEntry => {
      const e = listing.entries[i]!;
      const row: BrowseEntry = { name: basename(e.path), path: e.path, type: e.type, size: e.size, mtime: Number(e.mtime / 1_000_000n), mode: e.mode };
      if (e.target !== undefined) row.target = e.target;
      return row;
    });
    let totalBytes = 0;
    for (const e of listing.entries) totalBytes += e.size;
    return { archive: reader.file.filename, path, entries, totalEntries: listing.entries.length, totalBytes };
  });
}

function tarEntries(listing: DirListing, dir: string, top: string): { tar: TarEntry; entry: ListedEntry }[] {
  const cut = dir === "" ? 0 : dir.length + 1;
  return [...subtree(listing, dir)].map((entry) => {
    const rel = entry.path === dir ? "" : entry.path.slice(cut);
    const tar: TarEntry = {
      name: rel === "" ? top : `${top}/${rel}`,
      type: entry.type,
      mode: entry.mode,
      uid: entry.uid,
      gid: entry.gid,
      mtimeNs: entry.mtime,
      size: entry.size,
    };
    if (entry.target !== undefined) tar.target = entry.target;
    return { tar, entry };
  });
}

async function* tarBody(reader: ArchiveReader, items: { tar: TarEntry; entry: ListedEntry }[], signal?: AbortSignal): AsyncGenerator<Buffer> {
  for (const { tar, entry } of items) {
    yield tarHeader(tar);
    if (tar.type !== "file") continue;
    yield* reader.range(entry.offset, entry.size, signal);
    const pad = padding(entry.size);
    if (pad > 0) yield Buffer.alloc(pad);
  }
  yield TAR_END;
}

/**
 * Opens a download of `archive` (a file name from the snapshot's manifest) or, for a directory
 * archive, of the file or folder at `path` inside it (`""` or undefined: the whole archive, as
 * a tar). Holds the shared snapshot lock until the body ends or `close` is called.
 */
export async function openDownload(
  handle: ReadHandle,
  ns: BackupNamespace,
  snap: SnapshotRef,
  archive: string,
  path?: string,
  signal?: AbortSignal,
): Promise<Download> {
  const reader = await ArchiveReader.open(handle, ns, snap, archive);
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await reader.close();
  };
  try {
    const make = (filename: string, contentType: string, size: number, bytes: () => AsyncGenerator<Buffer>): Download => ({
      filename,
      contentType,
      size,
      close,
      body: (async function* () {
        try {
          yield* bytes();
        } finally {
          await close();
        }
      })(),
    });
    const base = archiveBaseName(reader.file.filename);
    if (reader.file.kind !== "directory") {
      if (path) throw new CofferError("BAD_REQUEST", `'${reader.file.filename}' is not a directory archive: download it whole, without a path`);
      return make(base, "application/octet-stream", reader.size, () => reader.range(0, reader.size, signal));
    }
    const listing = await cachedListing(reader);
    const at = path ?? "";
    const entry = entryAt(listing, reader, at);
    if (entry.type === "file") {
      return make(basename(at), "application/octet-stream", entry.size, () => reader.range(entry.offset, entry.size, signal));
    }
    if (entry.type === "symlink") {
      throw new CofferError("BAD_REQUEST", `'${at}' is a symlink (to '${entry.target}'): it has no content to download; download its folder to keep it`);
    }
    const top = at === "" ? base : basename(at);
    const items = tarEntries(listing, at, top);
    return make(`${top}.tar`, "application/x-tar", tarSize(items.map((i) => i.tar)), () => tarBody(reader, items, signal));
  } catch (err) {
    await close();
    throw err;
  }
}
