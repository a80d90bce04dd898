/**
 * Relative paths inside a datastore (PBS layout, reference 1.3-1.5). One place, so that listing,
 * writing, moving and GC agree on where things are.
 */
import type { BackupNamespace, GroupRef, SnapshotRef } from "../model/names";
import { formatBackupTime } from "../model/names";

export { CLIENT_LOG_BLOB_NAME, MANIFEST_BLOB_NAME } from "../format/manifest";
export const PROTECTED_MARKER = ".protected";
export const OWNER_FILE = "owner";
export const NOTES_FILE = "notes";
export const GC_STATUS_FILE = ".gc-status";

/** Files that belong to a snapshot listing (PBS BACKUP_FILES_AND_PROTECTED_REGEX). */
export const BACKUP_FILES_AND_PROTECTED_REGEX = /^(.*\.([fd]idx|blob)|\.protected)$/;

const join = (...parts: string[]) => parts.filter((p) => p !== "").join("/");

export function namespaceRel(ns: BackupNamespace): string {
  return ns.path();
}

export function typeDirRel(ns: BackupNamespace, type: string): string {
  return join(ns.path(), type);
}

export function groupRel(ns: BackupNamespace, g: GroupRef): string {
  return join(ns.path(), g.type, g.id);
}

export function snapshotRel(ns: BackupNamespace, s: SnapshotRef): string {
  return join(ns.path(), s.type, s.id, formatBackupTime(s.time));
}

export function inSnapshot(ns: BackupNamespace, s: SnapshotRef, file: string): string {
  return join(snapshotRel(ns, s), file);
}

/** Display form used in messages: `vm/100/2024-01-01T00:00:00Z`, prefixed by `ns/a/` when not root. */
export function snapshotDisplay(ns: BackupNamespace, s: SnapshotRef): string {
  const rel = `${s.type}/${s.id}/${formatBackupTime(s.time)}`;
  return ns.isRoot ? rel : `${ns.path()}/${rel}`;
}
