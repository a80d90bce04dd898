/**
 * Snapshots: directories named by their backup time inside a group, finished once their
 * manifest `index.json.blob` exists (reference 1.4, 1.5, 2.3, 2.5).
 */
import { CofferError, withContext } from "../model/errors";
import {
  type BackupManifest,
  canonicalProtectedJson,
  parseManifest,
  serializeManifest,
} from "../format/manifest";
import {
  BACKUP_FILES_AND_PROTECTED_REGEX,
  groupRel,
  inSnapshot,
  MANIFEST_BLOB_NAME,
  NOTES_FILE,
  PROTECTED_MARKER,
  snapshotDisplay,
  snapshotRel,
} from "../storage/layout";
import { lockManifest, lockSnapshot } from "../locking/locks";
import { BACKUP_TIME_REGEX, type BackupNamespace, type GroupRef, parseBackupTime, type SnapshotRef } from "../model/names";
import type { Store } from "../storage/store";

export interface SnapshotFile {
  filename: string;
  size: number;
}

export interface SnapshotDirInfo {
  time: number;
  /** Has a manifest. */
  finished: boolean;
  protected: boolean;
  /** Archive files in the directory (the manifest included), with their sizes. */
  files: SnapshotFile[];
}

/** A snapshot directory: its backup time and its name (the time formatted, as listed). */
export interface SnapshotDir {
  time: number;
  name: string;
}

/**
 * The snapshot directories of a group, oldest first, with their names as listed (a move
 * renames thousands of them and need not format each time back). Other entries are ignored.
 */
export async function listSnapshotDirs(store: Store, ns: BackupNamespace, g: GroupRef): Promise<SnapshotDir[]> {
  return (await listGroupDir(store, ns, g)).snapshots;
}

/**
 * One listing of a group directory: its snapshot directories (as listSnapshotDirs) and whether
 * it has a notes file, which a move would otherwise look for with a call of its own per group.
 */
export async function listGroupDir(store: Store, ns: BackupNamespace, g: GroupRef): Promise<{ snapshots: SnapshotDir[]; hasNotes: boolean }> {
  const entries = await store.backend.list(groupRel(ns, g));
  const dirs: SnapshotDir[] = [];
  let hasNotes = false;
  for (const e of entries) {
    if (e.name === NOTES_FILE) hasNotes = !e.isDirectory;
    if (!e.isDirectory || !BACKUP_TIME_REGEX.test(e.name)) continue;
    try {
      dirs.push({ time: parseBackupTime(e.name), name: e.name });
    } catch {
      // A name shaped like a time that is no real date (month 13) is not a snapshot.
    }
  }
  return { snapshots: dirs.sort((a, b) => a.time - b.time), hasNotes };
}

/** Backup times of the snapshot directories of a group, ascending. Other entries are ignored. */
export async function listSnapshotTimes(store: Store, ns: BackupNamespace, g: GroupRef): Promise<number[]> {
  return (await listSnapshotDirs(store, ns, g)).map((d) => d.time);
}

export function snapshotExists(store: Store, ns: BackupNamespace, snap: SnapshotRef): Promise<boolean> {
  return store.backend.exists(snapshotRel(ns, snap));
}

export async function assertSnapshotExists(store: Store, ns: BackupNamespace, snap: SnapshotRef): Promise<void> {
  if (!(await snapshotExists(store, ns, snap))) {
    throw new CofferError("NOT_FOUND", `snapshot ${snapshotDisplay(ns, snap)} does not exist!`);
  }
}

/** The files of one snapshot directory, with the `.protected` marker turned into a flag. */
export async function snapshotDirInfo(store: Store, ns: BackupNamespace, snap: SnapshotRef): Promise<SnapshotDirInfo> {
  const rel = snapshotRel(ns, snap);
  const entries = await store.backend.list(rel);
  const files: SnapshotFile[] = [];
  let isProtected = false;
  for (const e of entries) {
    if (!e.isFile || !BACKUP_FILES_AND_PROTECTED_REGEX.test(e.name)) continue;
    if (e.name === PROTECTED_MARKER) {
      isProtected = true;
      continue;
    }
    const st = await store.backend.stat(`${rel}/${e.name}`);
    if (st) files.push({ filename: e.name, size: st.size });
  }
  files.sort((a, b) => (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0));
  return {
    time: snap.time,
    finished: files.some((f) => f.filename === MANIFEST_BLOB_NAME),
    protected: isProtected,
    files,
  };
}

/** The newest snapshot with a manifest ("last successful backup"), if any. */
export async function lastFinishedSnapshot(
  store: Store,
  ns: BackupNamespace,
  g: GroupRef,
): Promise<number | undefined> {
  const times = await listSnapshotTimes(store, ns, g);
  for (let i = times.length - 1; i >= 0; i--) {
    if (await store.backend.exists(inSnapshot(ns, { ...g, time: times[i]! }, MANIFEST_BLOB_NAME))) return times[i];
  }
  return undefined;
}

/** Loads a manifest; no lock is needed to read (it is only ever replaced atomically). */
export async function readManifest(store: Store, ns: BackupNamespace, snap: SnapshotRef): Promise<BackupManifest> {
  const raw = await store.backend.readFile(inSnapshot(ns, snap, MANIFEST_BLOB_NAME));
  return parseManifest(raw);
}

/**
 * The only permitted way to rewrite a manifest (PBS update_manifest): under the manifest lock
 * (waits up to 5 s), load, let `fn` change it, refuse if anything but `unprotected` changed (a
 * signature over the protected part must stay valid), then replace the file atomically.
 */
export async function updateManifest(
  store: Store,
  ns: BackupNamespace,
  snap: SnapshotRef,
  fn: (m: BackupManifest) => void,
): Promise<BackupManifest> {
  const guard = await lockManifest(store.name, ns, snap);
  try {
    const manifest = await readManifest(store, ns, snap);
    const before = canonicalProtectedJson(manifest);
    const signature = manifest.signature;
    fn(manifest);
    if (canonicalProtectedJson(manifest) !== before || manifest.signature !== signature) {
      throw new CofferError("INTERNAL", "refusing to change the protected part of a manifest");
    }
    await store.backend.writeFileAtomic(inSnapshot(ns, snap, MANIFEST_BLOB_NAME), serializeManifest(manifest));
    return manifest;
  } finally {
    await guard.release();
  }
}

export async function setSnapshotNotes(
  store: Store,
  ns: BackupNamespace,
  snap: SnapshotRef,
  notes: string,
): Promise<void> {
  await assertSnapshotExists(store, ns, snap);
  try {
    await updateManifest(store, ns, snap, (m) => {
      m.unprotected.notes = notes;
    });
  } catch (err) {
    throw withContext("unable to update manifest blob", err);
  }
}

export async function readSnapshotNotes(store: Store, ns: BackupNamespace, snap: SnapshotRef): Promise<string> {
  const m = await readManifest(store, ns, snap);
  const notes = m.unprotected.notes;
  return typeof notes === "string" ? notes : "";
}

/** Creates or removes `.protected` under the exclusive snapshot lock (PBS update_protection). */
export async function setProtected(
  store: Store,
  ns: BackupNamespace,
  snap: SnapshotRef,
  value: boolean,
): Promise<void> {
  await assertSnapshotExists(store, ns, snap);
  const guard = await lockSnapshot(store.name, ns, snap, "exclusive");
  try {
    const marker = inSnapshot(ns, snap, PROTECTED_MARKER);
    if (value) {
      if (!(await store.backend.exists(marker))) await store.backend.createFileExclusive(marker, "");
    } else {
      await store.backend.unlink(marker, { missingOk: true });
    }
  } finally {
    await guard.release();
  }
}

export async function isProtected(store: Store, ns: BackupNamespace, snap: SnapshotRef): Promise<boolean> {
  return store.backend.exists(inSnapshot(ns, snap, PROTECTED_MARKER));
}
