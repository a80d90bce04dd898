/**
 * S3 only: removes content objects (indexes, blobs, owner, notes, namespace markers) that have
 * no file in the local cache, which holds every snapshot's files (content is written to both,
 * and s3-refresh restores the cache from the bucket). They are what an interrupted operation
 * leaves behind: a move killed after the cache rename but before deleting its source objects
 * (PBS calls them orphaned and leaves them to the admin), a killed backup's objects of a
 * snapshot whose cache directory went away, a failed source delete. Left alone, a refresh would
 * bring them back as snapshots.
 *
 * Only objects older than this GC's start are candidates (anything written since belongs to an
 * operation still running), and each is removed under the lock of the snapshot or group it
 * belongs to, after checking again that the cache has no such file: a move or backup in flight
 * holds those locks between writing an object and writing its cache file, so a busy lock
 * means "skip it this time".
 */
import type { S3Backend } from "../storage/s3-backend";
import type { Store } from "../storage/store";
import { lockGroup, lockSnapshot } from "../locking/locks";
import type { LockGuard } from "../../platform/file-lock";
import { BackupNamespace, checkBackupType, parseBackupTime, type GroupRef, type SnapshotRef } from "../model/names";
import type { EngineLog } from "../model/log";

const NAMESPACE_MARKER = "/.namespace";

/** Which snapshot or group a content path belongs to; undefined for anything else. */
export function contentOwner(rel: string): { ns: BackupNamespace; group: GroupRef; snapshot?: SnapshotRef } | undefined {
  const parts = rel.split("/");
  const nsParts: string[] = [];
  while (parts[0] === "ns" && parts.length > 2) {
    nsParts.push(parts[1]!);
    parts.splice(0, 2);
  }
  if (parts.length < 3) return undefined;
  try {
    const ns = BackupNamespace.parse(nsParts.join("/"));
    const group = { type: checkBackupType(parts[0]!), id: parts[1]! };
    if (parts.length === 3) return { ns, group };
    if (parts.length === 4) return { ns, group, snapshot: { ...group, time: parseBackupTime(parts[2]!) } };
  } catch {
    // not a path Coffer writes: leave it alone
  }
  return undefined;
}

/** `olderThanMs`: the GC's start less a margin (gc.ts, strayMinAgeMs). */
export async function sweepStrayContent(store: Store, olderThanMs: number, log: EngineLog, signal?: AbortSignal): Promise<number> {
  if (store.backend.kind !== "s3") return 0;
  const s3 = store.backend as S3Backend;
  let removed = 0;
  const inBucket = new Set<string>();
  for await (const page of s3.client.list(s3.keys.contentDir(""))) {
    for (const o of page) {
      const known = s3.keys.contentRel(o.key);
      if (known !== undefined) inBucket.add(known);
      signal?.throwIfAborted();
      if (!o.lastModified || o.lastModified.getTime() >= olderThanMs) continue;
      const rel = s3.keys.contentRel(o.key);
      if (rel === undefined || rel === ".marker") continue;
      const local = rel.endsWith(NAMESPACE_MARKER) ? rel.slice(0, -NAMESPACE_MARKER.length) : rel;
      if (await s3.exists(local)) continue;
      let guard: LockGuard | undefined;
      if (!rel.endsWith(NAMESPACE_MARKER)) {
        const owner = contentOwner(rel);
        if (!owner) continue;
        try {
          guard = owner.snapshot
            ? await lockSnapshot(store.name, owner.ns, owner.snapshot, "exclusive")
            : await lockGroup(store.name, owner.ns, owner.group);
        } catch {
          continue; // busy: an operation on it is running
        }
      }
      try {
        if (await s3.exists(local)) continue;
        await s3.client.delete(o.key);
        removed++;
      } finally {
        await guard?.release();
      }
    }
  }
  if (removed > 0) log.info(`Removed stray content objects: ${removed}`);
  const uploaded = await uploadMissingContent(store, s3, inBucket, signal);
  if (uploaded > 0) log.info(`Uploaded content files missing from the bucket: ${uploaded}`);
  return removed;
}

/**
 * The other direction: a cache file the bucket lacks. A process killed between writing a file
 * locally first and uploading it leaves one (an exclusive create, an index committed by its
 * writer); a refresh would lose it. It goes up under the same locks, if it is still there.
 */
async function uploadMissingContent(store: Store, s3: S3Backend, inBucket: Set<string>, signal?: AbortSignal): Promise<number> {
  const missing: string[] = [];
  const walk = async (rel: string) => {
    for (const e of await s3.list(rel, { missingOk: true })) {
      if (rel === "" && e.name.startsWith(".")) continue;
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) await walk(child);
      else if (e.isFile && !inBucket.has(child) && !/\.tmp_|\.tmp_[fd]idx$/.test(e.name)) missing.push(child);
    }
  };
  await walk("");
  let uploaded = 0;
  for (const rel of missing) {
    signal?.throwIfAborted();
    const owner = contentOwner(rel);
    if (!owner) continue;
    let guard: LockGuard;
    try {
      guard = owner.snapshot ? await lockSnapshot(store.name, owner.ns, owner.snapshot, "exclusive") : await lockGroup(store.name, owner.ns, owner.group);
    } catch {
      continue; // busy: the operation that wrote it is still running
    }
    try {
      const bytes = await s3.readFileIfExists(rel);
      if (bytes === undefined || (await s3.client.head(s3.keys.content(rel)))) continue;
      await s3.client.put(s3.keys.content(rel), bytes);
      uploaded++;
    } finally {
      await guard.release();
    }
  }
  return uploaded;
}
