/**
 * Whether a file is still the version a cache read: same inode, size, and nanosecond mtime and
 * ctime. Files Coffer caches by this (json-file-cache.ts: auth and datastore configs; the task
 * archive) are replaced by rename or appended to, and either changes one of these. Nanoseconds,
 * because an inode freed by one rename may be reused by the next temporary file within the same
 * second.
 */
import type { BigIntStats } from "node:fs";

export function sameFileVersion(a: BigIntStats, b: BigIntStats): boolean {
  return a.ino === b.ino && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.size === b.size && a.dev === b.dev;
}
