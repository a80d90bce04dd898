/**
 * Rebuilds the local cache of an S3 datastore from its bucket (the action of PBS's `s3-refresh`
 * maintenance, which runs it only once no operation is active): the content tree (indexes,
 * blobs, owner, notes, `.protected`, namespace markers) is replaced by what the bucket holds,
 * and cached chunk files the bucket no longer has are dropped (a cache file means "in the
 * bucket", s3-chunk-store.ts), as are GC markers and the leftovers of interrupted writers.
 */
import { mkdirSync, readdirSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { S3Keys } from "./s3-keys";
import { s3ClientFor } from "./s3-clients";
import type { DatastoreConfig } from "../../config/datastore-config";
import { CofferError } from "../model/errors";
import type { EngineLog } from "../model/log";

const PARALLEL_DOWNLOADS = 8;
const CHUNK_NAME_RE = /^[0-9a-f]{64}(\.[0-9]\.bad)?$/;

export interface RefreshStats {
  files: number;
  namespaces: number;
  cachedChunksDropped: number;
}

export async function refreshCache(config: DatastoreConfig, log?: EngineLog, signal?: AbortSignal): Promise<RefreshStats> {
  const client = await s3ClientFor(config);
  if (!client) throw new CofferError("BAD_REQUEST", `datastore '${config.name}' is not on S3: there is no cache to refresh`);
  const keys = new S3Keys(config.name);
  const base = config.path;
  const stats: RefreshStats = { files: 0, namespaces: 0, cachedChunksDropped: 0 };

  const objects = await client.listAll(keys.contentDir(""));
  log?.info(`found ${objects.length} content objects in bucket '${client.bucket}'`);
  for (const entry of readdirSync(base)) {
    if (!entry.startsWith(".")) rmSync(path.join(base, entry), { recursive: true, force: true });
  }
  const files: string[] = [];
  for (const o of objects) {
    const rel = keys.contentRel(o.key);
    if (rel === undefined || rel === ".marker" || rel.split("/").some((p) => p === ".." || p === "")) continue;
    if (path.posix.basename(rel) === ".namespace") {
      mkdirSync(path.join(base, path.posix.dirname(rel)), { recursive: true, mode: 0o755 });
      stats.namespaces++;
    } else {
      files.push(rel);
    }
  }
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      signal?.throwIfAborted();
      const rel = files[next++]!;
      const bytes = await client.get(keys.content(rel));
      if (bytes === undefined) continue; // deleted since the listing
      const abs = path.join(base, rel);
      mkdirSync(path.dirname(abs), { recursive: true, mode: 0o755 });
      writeFileSync(abs, bytes, { mode: 0o644 });
      stats.files++;
    }
  };
  await Promise.all(Array.from({ length: PARALLEL_DOWNLOADS }, worker));
  log?.info(`restored ${stats.files} files and ${stats.namespaces} namespaces into the cache`);

  const inBucket = new Set<string>();
  for await (const page of client.list(keys.chunksPrefix())) for (const o of page) inBucket.add(o.key.slice(o.key.lastIndexOf("/") + 1));
  const chunkDir = path.join(base, ".chunks");
  for (let i = 0; i < 0x10000; i++) {
    const dir = path.join(chunkDir, i.toString(16).padStart(4, "0"));
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (CHUNK_NAME_RE.test(name) && inBucket.has(name)) continue;
      unlinkSync(path.join(dir, name));
      if (CHUNK_NAME_RE.test(name)) stats.cachedChunksDropped++;
    }
  }
  log?.info(`dropped ${stats.cachedChunksDropped} cached chunks the bucket does not hold`);
  return stats;
}
