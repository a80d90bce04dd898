/**
 * The content lists as PBS's API returns them (reference pbs-api-ui 2.3, 2.4): one document
 * shape for the CLI's JSON and the console.
 */
import { assertNamespaceExists } from "./namespace";
import { errorMessage } from "../model/errors";
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

export async function groupListItem(store: Store, ns: BackupNamespace, g: GroupRef): Promise<GroupListItem> {
  const times = await listSnapshotTimes(store, ns, g);
  let lastBackup = 0;
  let files: string[] = [];
  for (let i = times.length - 1; i >= 0; i--) {
    const info = await snapshotDirInfo(store, ns, { ...g, time: times[i]! });
    if (info.finished) {
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
  return item;
}

/**
 * Every group of a namespace (empty ones included, as PBS 4.2 lists them). A namespace that does
 * not exist is NOT_FOUND, not an empty list: the console and the CLI answer alike.
 */
export async function listGroupItems(store: Store, ns: BackupNamespace): Promise<GroupListItem[]> {
  await assertNamespaceExists(store, ns);
  const out: GroupListItem[] = [];
  for (const g of await listGroups(store, ns)) out.push(await groupListItem(store, ns, g));
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
    for (const time of await listSnapshotTimes(store, ns, g)) out.push(await snapshotListItem(store, ns, { ...g, time }, owner));
  }
  return out;
}

/** One snapshot as the list shows it; `owner` is the group's (read once per group by callers). */
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
