/**
 * Change detection: how a backup knows, without reading a source, that it is the same as in the
 * previous snapshot, so that the archive can be taken over from there (the role dirty bitmaps
 * play for hypervisor backups). The rule, documented in docs/backup.md:
 *
 * An archive is taken over unchanged only when all of these hold:
 *  - `--no-change-detection` (task argument `change-detection: false`) was not given;
 *  - the previous finished snapshot of the group has the same archive, did not fail
 *    verification, and its index matches its manifest entry;
 *  - that snapshot recorded the source under `unprotected["coffer-change-detection"]`, for the
 *    same archive kind, the same absolute path (and for images the same chunk size);
 *  - image of a regular file: size, mtime (ns), ctime (ns), inode and device are all unchanged;
 *    directory: the digest over every entry's path, type, mode, uid, gid, size, mtime, ctime,
 *    inode, device and symlink target is unchanged (ctime moves with every write, rename,
 *    chmod and chown, and cannot be set back by a user, so an edit that restores the mtime is
 *    still seen).
 * A record is only written when the source provably did not change while it was read (the
 * stats before and after reading agree) and its newest mtime/ctime is at least RACY_WINDOW
 * older than the start of the read: a change within the same timestamp tick as the read could
 * otherwise leave every timestamp as recorded (git's "racy clean" problem; 2 s covers file
 * systems with 1 s and 2 s timestamps). Block devices are never recorded: writes to a device
 * do not change its inode's times, so they are always read in full (their unchanged chunks are
 * still not written again).
 */
import type { BigIntStats } from "node:fs";
import type { BackupManifest } from "../format/manifest";

export const CHANGE_DETECTION_KEY = "coffer-change-detection";
export const CHANGE_DETECTION_VERSION = 1;
/** Nanoseconds a source's newest timestamp must lie before the start of its read. */
export const RACY_WINDOW_NS = 2_000_000_000n;

export interface FileRecord {
  kind: "image";
  path: string;
  "chunk-size": number;
  size: string;
  "mtime-ns": string;
  "ctime-ns": string;
  ino: string;
  dev: string;
}

export interface TreeRecord {
  kind: "directory";
  path: string;
  digest: string;
  entries: number;
}

export type SourceRecord = FileRecord | TreeRecord;

export function fileRecord(path: string, chunkSize: number, st: BigIntStats): FileRecord {
  return {
    kind: "image",
    path,
    "chunk-size": chunkSize,
    size: st.size.toString(),
    "mtime-ns": st.mtimeNs.toString(),
    "ctime-ns": st.ctimeNs.toString(),
    ino: st.ino.toString(),
    dev: st.dev.toString(),
  };
}

/** Same file, same metadata: size, mtime, ctime, inode and device. */
export function sameFileStats(a: BigIntStats, b: BigIntStats): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.ino === b.ino && a.dev === b.dev;
}

/** True when a timestamp is too close to the read's start to trust (see the module comment). */
export function isRacy(newestNs: bigint, readStartNs: bigint): boolean {
  return newestNs > readStartNs - RACY_WINDOW_NS;
}

export const nowNs = (): bigint => BigInt(Date.now()) * 1_000_000n;

/** The previous snapshot's record of archive `filename`, if it has a readable one. */
export function previousRecord(base: BackupManifest | undefined, filename: string): SourceRecord | undefined {
  const section = base?.unprotected[CHANGE_DETECTION_KEY] as { version?: unknown; archives?: unknown } | undefined;
  if (!section || section.version !== CHANGE_DETECTION_VERSION || typeof section.archives !== "object" || !section.archives) {
    return undefined;
  }
  if (!base!.files.some((f) => f.filename === filename)) return undefined;
  const r = (section.archives as Record<string, unknown>)[filename] as Partial<SourceRecord> | undefined;
  if (!r || typeof r.path !== "string") return undefined;
  if (r.kind === "image" || r.kind === "directory") return r as SourceRecord;
  return undefined;
}

/** Whether an image source may be taken over unchanged (the rule above). */
export function imageUnchanged(prev: SourceRecord | undefined, path: string, chunkSize: number, st: BigIntStats): boolean {
  if (!prev || prev.kind !== "image" || !st.isFile()) return false;
  const now = fileRecord(path, chunkSize, st);
  return (Object.keys(now) as (keyof FileRecord)[]).every((k) => prev[k] === now[k]);
}

/** Whether a directory source may be taken over unchanged (the rule above). */
export function treeUnchanged(prev: SourceRecord | undefined, path: string, digest: string, entries: number): boolean {
  return prev?.kind === "directory" && prev.path === path && prev.digest === digest && prev.entries === entries;
}
