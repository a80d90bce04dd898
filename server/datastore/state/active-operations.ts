/**
 * Per-datastore count of running read and write operations across processes (reference
 * pbs-engine.md 6.4): `run/active-operations/<store>` holds one entry per process,
 * `[{"pid":1234,"starttime":987654,"active_operations":{"read":1,"write":0}}]`, changed only
 * under the per-datastore lock `<file>.lock` (10 s, config/datastore-config.ts
 * withDatastoreLock) and replaced atomically. Entries of processes that died (or whose pid now
 * belongs to another process) no longer count, at once.
 *
 * What the file must say about this process, for a drain to be right: at least one operation
 * of a kind whenever one runs, and zero soon after the last one ends. The exact count between
 * is for people to read. So this process counts its operations in memory and writes its entry
 * with those counts:
 * - An operation that starts while the file already shows one of its kind for this process
 *   needs no write before it goes on: it is counted in memory first, then checks the
 *   maintenance mode, and every later write includes it. Only the first operation of a kind
 *   waits for its count to reach the file, checked and counted in the same hold of the lock.
 * - An operation that ends does not wait either, not even the last one: the file shows this
 *   process busier than it is for a moment, never idler. A request that opens, reads and closes
 *   within one turn of the event loop would otherwise write a zero and then a one for each
 *   request, since no two of them overlap.
 * - Counts that changed without anyone waiting reach the file within SYNC_INTERVAL_MS, in one
 *   write for all of them. This process's own readings (getActiveOperations) use its counts
 *   in memory, so they are exact at once.
 * A busy console then opens and closes a store for most requests without touching the file,
 * where each request waited for two lock round trips (issue 12; docs/benchmarks.md, the soak).
 * Changes that must wait are applied in batches: every one that arrives while a write is under
 * way goes into the next, which takes the lock once for all of them.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { z } from "zod";

import { isProcessAlive, selfStartTime } from "../../platform/process";
import { processGlobal } from "../../platform/process-global";
import { readListFile, replaceListFile } from "../locking/process-list-file";
import { paths } from "../../config/paths";
import { type DatastoreConfig, datastoreConfigNow, getDatastoreConfig, withDatastoreLock } from "../../config/datastore-config";
import type { ActiveOperationCounts, Operation } from "../model/types";

const count = z.number().int().nonnegative();
const entrySchema = z.object({
  pid: z.number().int().positive(),
  starttime: z.number().int().nonnegative(),
  active_operations: z.object({ read: count, write: count }),
});
const fileSchema = z.array(entrySchema);
type Entry = z.infer<typeof entrySchema>;
const WHAT = "active operations file";

/** How long counts that nobody waits for may lag behind in the file. */
export const SYNC_INTERVAL_MS = 100;

interface Waiter {
  /** An operation to count under the lock (a first one, or a lookup); none: waits for a write. */
  op?: Operation;
  /** Checks the config read under the lock; throwing refuses (and does not count) the operation. */
  admit?: (config: DatastoreConfig) => void;
  resolve: (config: DatastoreConfig | undefined) => void;
  reject: (err: unknown) => void;
}

interface Counter {
  store: string;
  file: string;
  /** This process's running operations on the store. */
  live: ActiveOperationCounts;
  /** This process's entry in the file as of the last write that completed. */
  written: ActiveOperationCounts;
  waiting: Waiter[];
  running: boolean;
  lastWrite: number;
  timer: NodeJS.Timeout | undefined;
  /** Callers of activeOperationsSettled, until no write is under way or planned. */
  settled: Array<() => void>;
}

/**
 * One per active operations file this process has counted on (keyed by path, so a test that
 * moves COFFER_HOME starts afresh), shared by every copy of this module (process-global.ts):
 * two copies writing their own counts into one entry would undercount.
 */
const counters = processGlobal("active-operations", () => new Map<string, Counter>());

function counterFor(store: string): Counter {
  const file = paths.activeOperations(store);
  let c = counters.get(file);
  if (!c) {
    const zero = () => ({ read: 0, write: 0 });
    counters.set(file, (c = { store, file, live: zero(), written: zero(), waiting: [], running: false, lastWrite: 0, timer: undefined, settled: [] }));
  }
  return c;
}

/** Whether the file shows `op` running in this process (a write takes the counts and writes them in one go). */
function shownRunning(c: Counter, op: "read" | "write"): boolean {
  return c.written[op] > 0;
}

function differs(a: ActiveOperationCounts, b: ActiveOperationCounts): boolean {
  return a.read !== b.read || a.write !== b.write;
}

function wait(c: Counter, waiter: Omit<Waiter, "resolve" | "reject">): Promise<DatastoreConfig | undefined> {
  const p = new Promise<DatastoreConfig | undefined>((resolve, reject) => c.waiting.push({ ...waiter, resolve, reject }));
  schedule(c);
  return p;
}

/** Starts a write now when someone waits for one, else within SYNC_INTERVAL_MS of the last. */
function schedule(c: Counter): void {
  if (c.running) return; // the loop looks again when its write is done
  if (c.waiting.length > 0) {
    void sync(c);
    return;
  }
  if (!differs(c.live, c.written) || c.timer !== undefined) return;
  const due = Math.max(0, c.lastWrite + SYNC_INTERVAL_MS - Date.now());
  c.timer = setTimeout(() => {
    c.timer = undefined;
    if (!c.running) void sync(c);
  }, due);
  c.timer.unref();
}

async function sync(c: Counter): Promise<void> {
  if (c.timer !== undefined) clearTimeout(c.timer);
  c.timer = undefined;
  c.running = true;
  let failed = false;
  let gone = false;
  try {
    while (c.waiting.length > 0 || (!failed && !gone && differs(c.live, c.written) && Date.now() - c.lastWrite >= SYNC_INTERVAL_MS)) {
      const batch = c.waiting.splice(0);
      if (batch.length === 0 && !existsSync(path.dirname(c.file))) {
        // Nobody waits, and the state directory was removed since the last write (a test's
        // temporary COFFER_HOME, an administrator clearing run/): it is not made again for a
        // count that follows on its own. The file shows nothing now; the next first operation
        // of a kind writes it anew.
        c.written = { read: 0, write: 0 };
        gone = true;
        continue;
      }
      try {
        await applyBatch(c, batch);
      } catch (err) {
        failed = true;
        for (const w of batch) w.reject(err);
      }
    }
  } finally {
    c.running = false;
  }
  // Counts nobody waited for and that did not reach the file: tried again later, not in a loop
  // (after a removed directory, only once something changes again).
  if (differs(c.live, c.written) && !gone) {
    if (failed) c.lastWrite = Date.now();
    schedule(c);
  }
  if (!c.running && c.timer === undefined) for (const done of c.settled.splice(0)) done();
}

/** Resolves once this process has no write of its counts for `store` under way or planned (for tests). */
export function activeOperationsSettled(store: string): Promise<void> {
  const c = counterFor(store);
  if (!c.running && c.timer === undefined) return Promise.resolve();
  return new Promise((resolve) => c.settled.push(resolve));
}

async function applyBatch(c: Counter, batch: Waiter[]): Promise<void> {
  await withDatastoreLock(c.store, async () => {
    let config: DatastoreConfig | undefined;
    let configError: unknown;
    const accepted: Waiter[] = [];
    const refused: [Waiter, unknown][] = [];
    for (const w of batch) {
      if (w.admit) {
        if (config === undefined && configError === undefined) {
          // Read without the config lock (it is replaced whole), once for the whole batch.
          config = await getDatastoreConfig(c.store).catch((err: unknown) => {
            configError = err;
            return undefined;
          });
        }
        try {
          if (configError !== undefined) throw configError;
          w.admit(config!);
        } catch (err) {
          refused.push([w, err]);
          continue;
        }
      }
      accepted.push(w);
    }
    const counted = accepted.filter((w) => w.op === "read" || w.op === "write");
    for (const w of counted) c.live[w.op as "read" | "write"]++;
    // Taken and written without an await between: no count can change in the meantime.
    const counts = { ...c.live };
    try {
      replaceListFile(c.file, fileSchema, WHAT, (current) => withOwnEntry(current, counts));
    } catch (err) {
      for (const w of counted) c.live[w.op as "read" | "write"]--;
      throw err;
    }
    c.written = counts;
    c.lastWrite = Date.now();
    for (const [w, err] of refused) w.reject(err);
    for (const w of accepted) w.resolve(config);
  });
}

/** The live entries of the file, with this process's entry (made if missing) set to `counts`. */
function withOwnEntry(current: Entry[], counts: ActiveOperationCounts): Entry[] {
  const entries = current.filter(isLive);
  const pstart = selfStartTime();
  let own = entries.find((e) => e.pid === process.pid && e.starttime === pstart);
  if (!own) {
    own = { pid: process.pid, starttime: pstart, active_operations: { read: 0, write: 0 } };
    entries.push(own);
  }
  own.active_operations = { ...counts };
  return entries;
}

/**
 * Counts one more (`delta` 1) or one fewer (-1) `op` of this process on `store`; a lookup
 * counts nothing but still leaves an entry, as in PBS. Resolves once the file shows the change.
 * Entries of dead processes are dropped from the file on the way.
 */
export async function updateActiveOperations(store: string, op: Operation, delta: 1 | -1): Promise<void> {
  const c = counterFor(store);
  if (delta === -1 && op !== "lookup") endOperation(store, op);
  await wait(c, delta === 1 ? { op } : {});
}

/**
 * Ends one `op` of this process on `store` (a handle's close) without waiting: the file shows
 * it within SYNC_INTERVAL_MS, and until then shows this process busier than it is, never idler.
 * getActiveOperations in this process sees it at once.
 */
export function endOperation(store: string, op: "read" | "write"): void {
  const c = counterFor(store);
  // Never below zero: a stray count down must not eat a count another operation needs.
  if (c.live[op] > 0) c.live[op]--;
  schedule(c);
}

/**
 * Counts one `op` on `store` if `admit` accepts the datastore's config, and returns that
 * config; `admit`'s error is thrown unchanged and nothing stays counted. The maintenance check
 * has no gap: a mode set meanwhile is either seen by `admit`, or set only while the file shows
 * this operation. When the file already shows one of its kind for this process, the count,
 * the config read and the check happen in one synchronous step (nothing in this process can
 * take the file's count down between them, and every later write includes this one); else
 * they happen in one hold of the per-datastore lock, which `maintenance set` takes as well.
 */
export async function admitOperation(store: string, op: "read" | "write", admit: (config: DatastoreConfig) => void): Promise<DatastoreConfig> {
  const c = counterFor(store);
  if (!shownRunning(c, op)) return (await wait(c, { op, admit }))!;
  const config = datastoreConfigNow(store);
  admit(config);
  c.live[op]++;
  schedule(c);
  return config;
}

/** Writes this process's counts for `store` now, and resolves once the file shows them. */
export async function flushActiveOperations(store: string): Promise<void> {
  await wait(counterFor(store), {});
}

/**
 * Sum over live processes; no lock (the file is only ever replaced whole). Missing = zeros.
 * This process counts as it is now (its counts in memory), the others as their last write.
 */
export async function getActiveOperations(store: string): Promise<ActiveOperationCounts> {
  const total = { read: 0, write: 0 };
  const own = counters.get(paths.activeOperations(store));
  const pstart = selfStartTime();
  for (const e of readListFile(paths.activeOperations(store), fileSchema, WHAT).filter(isLive)) {
    if (own && e.pid === process.pid && e.starttime === pstart) continue;
    total.read += e.active_operations.read;
    total.write += e.active_operations.write;
  }
  if (own) {
    total.read += own.live.read;
    total.write += own.live.write;
  }
  return total;
}

function isLive(e: Entry): boolean {
  return isProcessAlive(e.pid, e.starttime);
}
