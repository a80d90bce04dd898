/**
 * The content lists as PBS's API returns them (reference pbs-api-ui 2.3, 2.4): one document
 * shape for the CLI's JSON and the console.
 *
 * Listings take no lock and never wait on a move, GC, verify or backup. A group or snapshot
 * directory that vanishes between the readdir that found it and the reads that describe it was
 * moved (or destroyed) meanwhile: it is left out, never reported as an error (a moved group is
 * found in its target by a listing of that namespace). A group whose lock a move task holds is
 * marked `moving`.
 */
import { lstatSync, readdirSync } from "node:fs";
import path from "node:path";

import { assertNamespaceExists } from "./namespace";
import { cacheable, remember } from "./racy-mtime";
import { errorMessage, isErrno } from "../model/errors";
import { isMoveTaskType } from "../model/task-types";
import { readLockHolders } from "../../platform/file-lock";
import { groupLockEntry, groupLockPath, namespaceLockDir } from "../locking/lock-names";
import type { BackupManifest } from "../format/manifest";
import { listGroups, readGroupNotes, readOwner } from "./group";
import { MANIFEST_BLOB_NAME } from "../storage/layout";
import type { BackupNamespace, GroupRef, SnapshotRef } from "../model/names";
import { listSnapshotTimes, readManifest, snapshotDirInfo } from "./snapshot";
import type { Store } from "../storage/store";
import type { BackupContent, GroupListItem, SnapshotListItem, VerifyState } from "../model/types";

const firstLine = (s: string | undefined) => {
  const line = s?.split("\n")[0]?.trim();
  return line ? line : undefined;
};

export async function ownerOrUndefined(store: Store, ns: BackupNamespace, g: GroupRef): Promise<string | undefined> {
  try {
    return await readOwner(store, ns, g);
  } catch {
    return undefined;
  }
}

/**
 * Whether `err` says a directory being read is gone (ENOENT anywhere in its cause chain): it was
 * moved or removed after it was listed.
 */
export function vanished(err: unknown): boolean {
  let cur: unknown = err;
  for (let i = 0; cur && i < 32; i++) {
    if (isErrno(cur, "ENOENT")) return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

/** `fn()`, or undefined when what it reads vanished meanwhile (see vanished). */
export async function unlessVanished<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    if (vanished(err)) return undefined;
    throw err;
  }
}

/** Items of `list` that did not vanish while they were read, in order. */
export function present<T>(items: (T | undefined)[]): T[] {
  return items.filter((x): x is T => x !== undefined);
}

/** A namespace's lock folder as a page of groups saw it (lockedNames). */
export interface LockFolder {
  dir: string;
  names: ReadonlySet<string>;
}

const NO_NAMES: ReadonlySet<string> = new Set();

/**
 * The namespace's lock folder, read once for a page of groups: a group whose lock is not in it
 * is not held, without looking for its lock directory (an lstat per row was 4 % of the console
 * server's time in the soak, bench/soak.ts). No folder means no group of it is locked.
 * Undefined when the folder cannot be read: then each row is looked at.
 */
export function lockedNames(store: Store, ns: BackupNamespace): LockFolder | undefined {
  const dir = namespaceLockDir(store.name, ns);
  try {
    return { dir, names: new Set(readdirSync(dir)) };
  } catch (err) {
    return isErrno(err, "ENOENT") ? { dir, names: NO_NAMES } : undefined;
  }
}

/** A lock folder with nothing in it: no group of the namespace is looked at for a lock. */
export function noneLocked(store: Store, ns: BackupNamespace): LockFolder {
  return { dir: namespaceLockDir(store.name, ns), names: NO_NAMES };
}

/**
 * Whether a move task holds the group's lock (its UPID's worker type is `move-...`). `locked`
 * (lockedNames, read a moment before) rules the group out when its lock is not there, and
 * names the lock's directory when it is.
 */
function heldByMove(store: Store, ns: BackupNamespace, g: GroupRef, locked?: LockFolder): Promise<boolean> {
  const entry = locked ? groupLockEntry(ns, g) : undefined;
  if (locked && entry !== undefined) {
    return locked.names.has(entry) ? moveHolds(path.join(locked.dir, entry), true) : Promise.resolve(false);
  }
  return moveHolds(groupLockPath(store.name, ns, g), false);
}

async function moveHolds(lockPath: string, seen: boolean): Promise<boolean> {
  try {
    if (seen && isEmptyLockDir(lockPath)) return false;
    const holders = await readLockHolders(lockPath, { seen });
    return holders.some((h) => isMoveTaskType(h.upid?.split(":")[6]));
  } catch {
    return false;
  }
}

/**
 * Lock directories found with nothing in them, by path, with their mtime then. A namespace that
 * has seen moves keeps a lock directory for every group (a released lock stays, as PBS keeps its
 * lock files), and while a move ran, a page of groups read all 50 of them; now one `lstat` each
 * says that nothing changed. A holder is an entry in the directory, so taking the lock changes
 * the directory's mtime. Kept only under the racy-mtime rule (racy-mtime.ts).
 */
const emptyLockDirs = new Map<string, number>();

/** Whether `lockPath` has no holder, known from an earlier look when its mtime is unchanged. */
function isEmptyLockDir(lockPath: string): boolean {
  const st = lstatSync(lockPath, { throwIfNoEntry: false });
  if (st === undefined) return true;
  if (emptyLockDirs.get(lockPath) === st.mtimeMs) return true;
  // Changed a moment ago: the caller reads it, and nothing is kept.
  const empty = cacheable(st, Date.now()) && readdirSync(lockPath).length === 0;
  remember(emptyLockDirs, lockPath, st.mtimeMs, empty);
  return empty;
}

/** One group as the list shows it. Throws ENOENT (see vanished) if the group itself is gone. */
export async function groupListItem(store: Store, ns: BackupNamespace, g: GroupRef): Promise<GroupListItem> {
  return (await readGroupListItem(store, ns, g)).item;
}

/**
 * groupListItem, and whether the group's newest snapshot is finished: only then can nothing but a
 * change of the group directory (a snapshot added or removed, the owner or notes replaced) change
 * the item, which is what the listing caches rely on (listing-page.ts).
 */
export async function readGroupListItem(
  store: Store,
  ns: BackupNamespace,
  g: GroupRef,
  locked?: LockFolder,
): Promise<{ item: GroupListItem; newestFinished: boolean }> {
  const times = await listSnapshotTimes(store, ns, g);
  let lastBackup = 0;
  let files: string[] = [];
  for (let i = times.length - 1; i >= 0; i--) {
    // A move takes a group's snapshots away oldest first while the group stays: skip those.
    const info = await unlessVanished(() => snapshotDirInfo(store, ns, { ...g, time: times[i]! }));
    if (info?.finished) {
      lastBackup = info.time;
      files = info.files.map((f) => f.filename);
      break;
    }
  }
  const item: GroupListItem = {
    "backup-type": g.type,
    "backup-id": g.id,
    "last-backup": lastBackup,
    "backup-count": times.length,
    files,
  };
  const owner = await ownerOrUndefined(store, ns, g);
  if (owner) item.owner = owner;
  const comment = firstLine(await readGroupNotes(store, ns, g));
  if (comment) item.comment = comment;
  if (await heldByMove(store, ns, g, locked)) item.moving = true;
  return { item, newestFinished: times.length === 0 || times[times.length - 1] === lastBackup };
}

/** The item with `moving` as it is now: a move holds a lock, it leaves no trace in the group directory. */
export async function withMovingNow(store: Store, ns: BackupNamespace, g: GroupRef, item: GroupListItem, locked?: LockFolder): Promise<GroupListItem> {
  const { moving: _was, ...rest } = item;
  return (await heldByMove(store, ns, g, locked)) ? { ...rest, moving: true } : rest;
}

/**
 * Every group of a namespace (empty ones included, as PBS 4.2 lists them). A namespace that does
 * not exist is NOT_FOUND, not an empty list: the console and the CLI answer alike.
 */
export async function listGroupItems(store: Store, ns: BackupNamespace): Promise<GroupListItem[]> {
  await assertNamespaceExists(store, ns);
  const out: GroupListItem[] = [];
  for (const g of await listGroups(store, ns)) {
    const item = await unlessVanished(() => groupListItem(store, ns, g));
    if (item) out.push(item);
  }
  return out;
}

function verification(m: BackupManifest): VerifyState | undefined {
  const v = m.unprotected.verify_state as { state?: unknown; upid?: unknown } | undefined;
  if (v && (v.state === "ok" || v.state === "failed") && typeof v.upid === "string") {
    return { state: v.state, upid: v.upid };
  }
  return undefined;
}

/** Snapshots of one group, or of every group of the namespace, oldest first per group. */
export async function listSnapshotItems(
  store: Store,
  ns: BackupNamespace,
  group?: GroupRef,
): Promise<SnapshotListItem[]> {
  await assertNamespaceExists(store, ns);
  const groups = group ? [group] : await listGroups(store, ns);
  const out: SnapshotListItem[] = [];
  for (const g of groups) {
    const owner = await ownerOrUndefined(store, ns, g);
    // A named group that is gone is NOT_FOUND (ENOENT); one found by the readdir above that
    // moved away meanwhile is simply no longer here.
    const times = group ? await listSnapshotTimes(store, ns, g) : ((await unlessVanished(() => listSnapshotTimes(store, ns, g))) ?? []);
    for (const time of times) {
      const item = await unlessVanished(() => snapshotListItem(store, ns, { ...g, time }, owner));
      if (item) out.push(item);
    }
  }
  return out;
}

/**
 * One snapshot as the list shows it; `owner` is the group's (read once per group by callers).
 * Throws ENOENT (see vanished) if the snapshot directory is gone.
 */
export async function snapshotListItem(
  store: Store,
  ns: BackupNamespace,
  snap: SnapshotRef,
  owner: string | undefined,
): Promise<SnapshotListItem> {
  const info = await snapshotDirInfo(store, ns, snap);
  const item: SnapshotListItem = {
    "backup-type": snap.type,
    "backup-id": snap.id,
    "backup-time": snap.time,
    files: [],
    protected: info.protected,
    finished: info.finished,
  };
  if (owner) item.owner = owner;
  if (info.finished) {
    let manifest: BackupManifest | undefined;
    try {
      manifest = await readManifest(store, ns, snap);
    } catch (err) {
      if (vanished(err)) throw err; // moved away after its directory was read
      // A broken manifest must not hide the rest of the list; show the files on disk.
      item.comment = `manifest unreadable: ${errorMessage(err)}`;
    }
    if (manifest) {
      const files: BackupContent[] = manifest.files.map((f) => ({
        filename: f.filename,
        "crypt-mode": f["crypt-mode"],
        size: f.size,
      }));
      const blob = info.files.find((f) => f.filename === MANIFEST_BLOB_NAME);
      files.push({ filename: MANIFEST_BLOB_NAME, "crypt-mode": "none", size: blob?.size });
      item.files = files;
      item.size = files.reduce((sum, f) => sum + (f.size ?? 0), 0);
      const notes = manifest.unprotected.notes;
      const comment = firstLine(typeof notes === "string" ? notes : undefined);
      if (comment) item.comment = comment;
      const v = verification(manifest);
      if (v) item.verification = v;
      const fp = manifest.unprotected["key-fingerprint"];
      if (typeof fp === "string") item.fingerprint = fp;
    }
  }
  if (!manifestFilesListed(item)) {
    item.files = info.files.map((f) => ({ filename: f.filename, size: f.size }));
    item.size = info.files.reduce((sum, f) => sum + f.size, 0);
  }
  return item;
}

function manifestFilesListed(item: SnapshotListItem): boolean {
  return item.files.length > 0;
}
