/**
 * What one backup job archives: `<archive>=<path>` as the user writes it. The archive name's
 * suffix decides the archive type, as PBS's archive name rules do (reference 1.5): `.img` is a
 * fixed-chunk image (`.img.fidx`) of a regular file or block device; `.pxar` or `.didx` is a
 * dynamic-chunk archive (`.didx`) of a directory, in Coffer's directory stream format
 * (dir-stream.ts); `.conf`, `.json`, `.key`, `.log` are small files stored whole as `.blob`. A
 * source of the wrong kind is refused up front, naming what each suffix takes.
 */
import { stat } from "node:fs/promises";
import path from "node:path";
import { CofferError, isErrno } from "../model/errors";
import { MAX_BLOB_SIZE } from "../format/blob";
import { CLIENT_LOG_BLOB_NAME, MANIFEST_BLOB_NAME } from "../format/manifest";
import { archiveFileName, printable } from "../model/names";

export type ArchiveKind = "image" | "directory" | "blob";

export interface ArchiveSpec {
  /** The name as given (`disk.img`). */
  archive: string;
  /** The file in the snapshot (`disk.img.fidx`). */
  filename: string;
  kind: ArchiveKind;
  /** Absolute path of the source. */
  path: string;
}

const SUFFIX_HELP =
  "use <name>.img for an image of a file or block device, <name>.pxar or <name>.didx for a directory, " +
  "or <name>.conf, .json, .key, .log for a small file stored as a blob";

const bad = (msg: string) => new CofferError("BAD_REQUEST", msg);

/** The kind an archive name asks for; refuses names without a backup suffix. */
export function archiveKindOf(archive: string): ArchiveKind {
  if (/\.img$/.test(archive)) return "image";
  if (/\.(pxar|didx)$/.test(archive)) return "directory";
  if (/\.(conf|json|key|log)$/.test(archive)) return "blob";
  throw bad(`archive name '${printable(archive)}' has no backup suffix: ${SUFFIX_HELP}`);
}

/** Parses `<archive>=<path>`; a relative path is taken relative to `cwd`. */
export function parseArchiveSpec(spec: string, cwd = process.cwd()): ArchiveSpec {
  const eq = spec.indexOf("=");
  if (eq <= 0 || eq === spec.length - 1) {
    throw bad(`invalid archive '${printable(spec)}': expected <archive>=<path>, e.g. disk.img=/dev/vdb or root.pxar=/home`);
  }
  return archiveSpec(spec.slice(0, eq), path.resolve(cwd, spec.slice(eq + 1)));
}

/** Checks an archive name and an absolute source path (the task's arguments). */
export function archiveSpec(archive: string, source: string): ArchiveSpec {
  const kind = archiveKindOf(archive);
  const filename = archiveFileName(archive);
  if (filename === MANIFEST_BLOB_NAME || filename === CLIENT_LOG_BLOB_NAME) {
    throw bad(`archive name '${archive}' is reserved (${filename} is the snapshot's own file)`);
  }
  if (!path.isAbsolute(source)) throw bad(`source path '${printable(source)}' of archive '${archive}' must be absolute`);
  return { archive, filename, kind, path: path.normalize(source) };
}

/** Refuses two jobs that would write the same archive file. */
export function checkDistinct(specs: readonly ArchiveSpec[]): void {
  if (specs.length === 0) throw bad("nothing to back up: give at least one <archive>=<path>");
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.filename)) throw bad(`archive '${s.archive}' is given twice (both would be ${s.filename})`);
    seen.add(s.filename);
  }
}

const what = (st: { isFile(): boolean; isDirectory(): boolean; isBlockDevice(): boolean }) =>
  st.isFile() ? "a regular file" : st.isDirectory() ? "a directory" : st.isBlockDevice() ? "a block device" : "a special file";

/**
 * Checks that the source exists and is of the kind the archive name asks for (following
 * symlinks: `disk.img=/dev/disk/by-id/...` names a device through a link). Returns whether an
 * image source is a block device, whose size is not its stat size.
 */
export async function checkSource(spec: ArchiveSpec): Promise<{ blockDevice: boolean }> {
  let st;
  try {
    st = await stat(spec.path);
  } catch (err) {
    if (isErrno(err, "ENOENT")) throw new CofferError("NOT_FOUND", `source '${spec.path}' of archive '${spec.archive}' does not exist`);
    throw new CofferError("BAD_REQUEST", `cannot access source '${spec.path}' of archive '${spec.archive}': ${(err as Error).message}`);
  }
  const mismatch = (wants: string) =>
    bad(`archive '${spec.archive}' is ${wants}, but '${spec.path}' is ${what(st)}: ${SUFFIX_HELP}`);
  switch (spec.kind) {
    case "image":
      if (!st.isFile() && !st.isBlockDevice()) throw mismatch("an image (.img) of a regular file or block device");
      if (st.isFile() && st.size === 0) throw bad(`source '${spec.path}' of image archive '${spec.archive}' is empty`);
      return { blockDevice: st.isBlockDevice() };
    case "directory":
      if (!st.isDirectory()) throw mismatch("a directory stream (.pxar/.didx)");
      return { blockDevice: false };
    case "blob":
      if (!st.isFile()) throw mismatch("a blob (.conf/.json/.key/.log) of a small regular file");
      if (st.size > MAX_BLOB_SIZE) {
        throw bad(`source '${spec.path}' of blob archive '${spec.archive}' has ${st.size} bytes; a blob holds at most ${MAX_BLOB_SIZE} (use <name>.img for big files)`);
      }
      return { blockDevice: false };
  }
}
