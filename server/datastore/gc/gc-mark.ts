/**
 * GC phase 1, mark (reference 5.2): every chunk an index file references gets its atime set to
 * now, so the sweep (gc-sweep.ts) keeps it. Index files are found twice, as PBS does: once by
 * walking the whole datastore directory (so an index in an unexpected place still protects its
 * chunks), then through the namespace / group / snapshot hierarchy, newest snapshot first, with
 * PBS's per-group retry against a concurrent prune. The move journal is drained last.
 *
 * Locks: none held by this module, except the exclusive group lock on a group's 11th attempt.
 * Per-chunk work is synchronous and paced (gc-pace.ts); the file-system backend only.
 */

import { CofferError, errorMessage, isErrno, withContext } from "../model/errors";
import { DynamicIndexReader } from "../format/dynamic-index";
import { FixedIndexReader, INDEX_HEADER_SIZE } from "../format/fixed-index";
import type { GcPacer } from "./gc-pace";
import { isAbortError } from "./gc-pace";
import type { GcStatus } from "./gc-status";
import { groupExists, listGroups } from "../content/group";
import { snapshotRel } from "../storage/layout";
import { type LockGuard } from "../../platform/file-lock";
import { lockGroup } from "../locking/locks";
import type { EngineLog } from "../model/log";
import { drainMoveJournal, isSnapshotDirEntry } from "../move/move-journal";
import { BackupNamespace, MAX_NAMESPACE_DEPTH } from "../model/names";
import { listChildNamespaces } from "../content/namespace";
import { listSnapshotTimes } from "../content/snapshot";
import type { Store } from "../storage/store";
import type { ChunkBackend, ContentBackend } from "../storage/backend";

const q = (p: string) => JSON.stringify(p);
const INDEX_FILE_RE = /\.(fidx|didx)$/;
/** Attempts 0..9 run unlocked; attempt 10 takes the group lock (PBS). */
const GROUP_LOCK_ATTEMPT = 10;

/**
 * The LRU digest cache of PBS's mark phase: a digest seen recently is not touched again (a
 * utimes per reference would cost as much as the rest of GC). Map keeps insertion order, so the
 * first key is the least recently used one.
 *
 * Recency only matters once the cache is full and starts evicting, so a hit moves its key to
 * the back only then: before that, the move (a delete and a set) would be a third of the cache's
 * cost for nothing. The price is an eviction order that, right after filling up, follows first
 * use rather than last use; a digest evicted too early is merely touched once more.
 */
export class DigestLru {
  private readonly map = new Map<string, null>();

  constructor(readonly capacity: number) {}

  /** PBS LruCache::insert: true when the key was present (it becomes the most recent). */
  insert(key: string): boolean {
    const m = this.map;
    if (m.has(key)) {
      if (m.size >= this.capacity) {
        m.delete(key);
        m.set(key, null);
      }
      return true;
    }
    m.set(key, null);
    if (m.size > this.capacity) m.delete(m.keys().next().value!);
    return false;
  }

  get size(): number {
    return this.map.size;
  }
}

/** Digests handed to the backend in one call: short enough to keep the lock heartbeat going. */
const MARK_SLICE = 1024;

/** Marks the chunks of one index file at a time; shared by the walk, the leftovers and the journal. */
export class ChunkMarker {
  private readonly cache: DigestLru | undefined;
  private readonly slice: string[] = [];

  constructor(
    private readonly backend: ContentBackend & { chunks: ChunkBackend },
    cacheCapacity: number,
    private readonly status: GcStatus,
    private readonly log: EngineLog,
    private readonly pacer: GcPacer,
  ) {
    this.cache = cacheCapacity > 0 ? new DigestLru(cacheCapacity) : undefined;
  }

  /**
   * Marks every chunk the index at `rel` (datastore-relative, `.fidx` or `.didx`) references.
   * Returns false when the file does not exist (vanished: pruned, moved, or a ghost journal
   * entry); a file that cannot be read or parsed is an error, as in PBS, since skipping it
   * could sweep its chunks.
   */
  async markIndex(rel: string): Promise<boolean> {
    const shown = q(this.backend.absolute(rel));
    const type = INDEX_FILE_RE.exec(rel)?.[1];
    if (!type) throw new CofferError("INTERNAL", `unexpected archive type: ${shown}`);
    let raw: Buffer | undefined;
    try {
      raw = await this.backend.readIndexForGc(rel);
    } catch (err) {
      throw new CofferError("INTERNAL", `can't open file '${shown}' - ${errorMessage(err)}`, { cause: err });
    }
    if (raw === undefined) return false;
    // The readers check magic and length; the digests are then read straight from `raw`.
    let size: number;
    let count: number;
    let first: number;
    let stride: number;
    try {
      if (type === "fidx") {
        const r = FixedIndexReader.fromBuffer(raw);
        [size, count, first, stride] = [r.size, r.count, INDEX_HEADER_SIZE, 32];
      } else {
        const r = DynamicIndexReader.fromBuffer(raw);
        [size, count, first, stride] = [r.size, r.count, INDEX_HEADER_SIZE + 8, 40];
      }
    } catch (err) {
      throw withContext(`can't open ${type === "fidx" ? "fixed" : "dynamic"} index '${shown}'`, err);
    }
    this.status["index-file-count"]++;
    this.status["index-data-bytes"] += size;

    const cache = this.cache;
    const stats = this.status["cache-stats"]!;
    const slice = this.slice;
    for (let i = 0, off = first; i < count; i++, off += stride) {
      const hex = raw.toString("hex", off, off + 32);
      if (cache) {
        if (cache.insert(hex)) {
          stats.hits++;
          continue;
        }
        stats.misses++;
      }
      slice.push(hex);
      if (slice.length >= MARK_SLICE || this.pacer.due()) await this.flush(shown);
    }
    await this.flush(shown);
    return true;
  }

  /** Touches the collected digests (atime: now, refreshed per slice), then yields if it is time. */
  private async flush(shown: string): Promise<void> {
    if (this.slice.length > 0) {
      const now = Date.now() / 1000;
      const chunks = this.backend.chunks;
      for (const hex of await chunks.markChunksUsed(this.slice, now)) {
        this.log.warn(`warning: unable to access non-existent chunk ${hex}, required by ${shown}`);
        // Keep the evidence of a corrupt chunk as long as an index still wants the chunk: once a
        // good copy is uploaded again or no index references it, the .bad files age out.
        await chunks.markBadCopiesUsed(hex, now);
      }
      this.slice.length = 0;
    }
    if (this.pacer.due()) await this.pacer.pause();
  }
}

/**
 * PBS list_index_files: every `*.fidx` / `*.didx` in the datastore (relative paths), skipping
 * every entry whose name starts with `.` (so `.chunks`). A permission error is fatal (skipping
 * a directory could sweep the chunks of the indexes in it), except on `lost+found` right below
 * the base; a vanished directory is only logged.
 */
export async function listIndexFiles(backend: ContentBackend, log: EngineLog, pacer: GcPacer): Promise<Set<string>> {
  const found = new Set<string>();
  const stack: Array<{ dir: string; depth: number }> = [{ dir: "", depth: 0 }];
  while (stack.length > 0) {
    const { dir, depth } = stack.pop()!;
    let entries;
    try {
      entries = await backend.list(dir);
    } catch (err) {
      const shown = q(backend.absolute(dir));
      if (isErrno(err, "EACCES") || isErrno(err, "EPERM")) {
        if (depth <= 1 && dir.split("/").at(-1) === "lost+found") continue;
        throw new CofferError("INTERNAL", `cannot continue garbage-collection safely, permission denied on: ${shown}`, {
          cause: err,
        });
      }
      if (isErrno(err, "ENOENT")) {
        log.info(`ignoring vanished file: ${shown}`);
        continue;
      }
      throw new CofferError("INTERNAL", `unexpected error on datastore traversal: ${errorMessage(err)} - ${shown}`, {
        cause: err,
      });
    }
    for (const e of entries) {
      if (e.name.startsWith(".")) continue;
      const p = dir === "" ? e.name : `${dir}/${e.name}`;
      if (e.isDirectory) stack.push({ dir: p, depth: depth + 1 });
      else if (INDEX_FILE_RE.test(e.name)) found.add(p);
    }
    if (pacer.due()) await pacer.pause();
  }
  return found;
}

/** Namespaces in sorted pre-order from the root, read lazily as PBS's recursive iterator does. */
async function* namespacesPreOrder(store: Store): AsyncGenerator<BackupNamespace> {
  const stack = [BackupNamespace.root];
  while (stack.length > 0) {
    const ns = stack.pop()!;
    yield ns;
    if (ns.depth >= MAX_NAMESPACE_DEPTH) continue;
    let children: BackupNamespace[];
    try {
      children = await listChildNamespaces(store, ns);
    } catch (err) {
      throw withContext("iterating namespaces failed", err);
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
}

export interface MarkOptions {
  log: EngineLog;
  pacer: GcPacer;
  status: GcStatus;
  cacheCapacity: number;
  /** Runs after the index files were listed and before the hierarchy is walked (tests). */
  afterIndexList?: () => Promise<void>;
  /** Runs before the groups of a namespace are walked (tests: a move racing the walk). */
  beforeNamespace?: (ns: BackupNamespace) => Promise<void>;
}

/**
 * The whole mark phase: list, walk, leftovers, move journal. Errors other than an abort come
 * back as `marking used chunks failed: ...`.
 */
export async function markUsedChunks(store: Store, opts: MarkOptions): Promise<void> {
  try {
    await markUsedChunksInner(store, opts);
  } catch (err) {
    if (isAbortError(err)) throw err;
    throw withContext("marking used chunks failed", err);
  }
}

async function markUsedChunksInner(store: Store, opts: MarkOptions): Promise<void> {
  const { log, pacer } = opts;
  const backend = store.backend;
  const marker = new ChunkMarker(backend, opts.cacheCapacity, opts.status, log, pacer);

  const unprocessed = await listIndexFiles(backend, log, pacer);
  let total = unprocessed.size;
  let processed = 0;
  let lastPct = 0;
  await opts.afterIndexList?.();

  for await (const ns of namespacesPreOrder(store)) {
    await opts.beforeNamespace?.(ns);
    let groups;
    try {
      groups = await listGroups(store, ns);
    } catch (err) {
      throw withContext("iterating backup groups failed", err);
    }
    for (const group of groups) {
      // Per-group retry (PBS): the newest snapshot vanishing under us means a prune raced a
      // new backup that may reuse its chunks, so the group starts over, newest first again.
      let attempt = 0;
      retry: for (;;) {
        let guard: LockGuard | undefined;
        if (attempt === GROUP_LOCK_ATTEMPT) {
          try {
            guard = await lockGroup(store.name, ns, group);
          } catch (err) {
            throw withContext("exhausted retries and failed to lock group", err);
          }
        } else if (attempt > GROUP_LOCK_ATTEMPT) {
          throw new CofferError("INTERNAL", "exhausted retries and unexpected counter overrun");
        }
        try {
          let times: number[];
          try {
            times = await listSnapshotTimes(store, ns, group);
          } catch (err) {
            if (!(await groupExists(store, ns, group))) break retry;
            throw withContext("listing snapshots failed", err);
          }
          for (let k = times.length - 1; k >= 0; k--) {
            const newest = k === times.length - 1;
            const dir = snapshotRel(ns, { ...group, time: times[k]! });
            let files: string[];
            try {
              files = (await backend.list(dir))
                .filter((e) => !e.isDirectory && INDEX_FILE_RE.test(e.name))
                .map((e) => e.name)
                .sort();
            } catch (err) {
              if (!isErrno(err, "ENOENT")) throw withContext(`listing snapshot ${q(backend.absolute(dir))} failed`, err);
              if (newest) {
                attempt++;
                continue retry;
              }
              continue;
            }
            for (const file of files) {
              pacer.checkAbort();
              const indexPath = `${dir}/${file}`;
              if (!(await marker.markIndex(indexPath))) {
                unprocessed.delete(indexPath);
                if (newest) {
                  attempt++;
                  continue retry;
                }
                continue;
              }
              if (!unprocessed.delete(indexPath)) {
                log.info(`Encountered new index file '${q(backend.absolute(indexPath))}', increment total index file count`);
                total++;
              }
              const pct = Math.floor(((processed + 1) * 100) / total);
              if (pct > lastPct) {
                log.info(`marked ${pct}% (${processed + 1} of ${total} index files)`);
                lastPct = pct;
              }
              processed++;
            }
          }
          break;
        } finally {
          await guard?.release();
        }
      }
    }
  }

  let strange = unprocessed.size;
  for (const indexPath of unprocessed) {
    pacer.checkAbort();
    if (!(await marker.markIndex(indexPath))) {
      strange--; // pruned meanwhile: not strange
      continue;
    }
    log.warn(`Marked chunks for unexpected index file at '${q(backend.absolute(indexPath))}'`);
  }
  if (strange > 0) log.warn(`Found ${strange} index files outside of expected directory scheme`);

  // Last, so that a snapshot moved into an already walked namespace after the listing is
  // marked at its new place (reference 4.8). A missing snapshot or index is a ghost of a failed
  // move (or pruned since).
  pacer.checkAbort();
  let journalled = 0;
  const drained = await drainMoveJournal(store.name, async (entry) => {
    const rel = backend.relative(entry.replace(/\/+$/, ""));
    if (rel === undefined) throw new CofferError("INTERNAL", `move-journal entry ${q(entry)} is outside the datastore`);
    if (!isSnapshotDirEntry(entry)) {
      if (await marker.markIndex(rel)) journalled++;
      return;
    }
    for (const e of await backend.list(rel, { missingOk: true })) {
      if (!e.isFile || !INDEX_FILE_RE.test(e.name)) continue;
      pacer.checkAbort();
      if (await marker.markIndex(`${rel}/${e.name}`)) journalled++;
    }
  }, {
    // Only a journal that grew for long is marked in rounds; say so, since it takes a while.
    onRound: (entries, locked) => {
      if (!locked) log.info(`move journal: marking ${entries} entries while moves go on`);
    },
  });
  if (drained > 0) log.info(`marked chunks of ${journalled} moved index files from the move journal (${drained} entries)`);
}
