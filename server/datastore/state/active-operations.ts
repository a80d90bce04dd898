/**
 * Per-datastore count of running read and write operations across processes (reference
 * pbs-engine.md 6.4): `run/active-operations/<store>` holds one entry per process,
 * `[{"pid":1234,"starttime":987654,"active_operations":{"read":1,"write":0}}]`, changed only
 * under the per-datastore lock `<file>.lock` (10 s, config/datastore-config.ts
 * withDatastoreLock) and replaced atomically. Entries of processes that died (or whose pid now
 * belongs to another process) no longer count, at once.
 *
 * Changes of one process are applied in batches: every change that arrives while a batch holds
 * the lock waits for the next batch, which takes the lock once for all of them. Fifty requests
 * that open and close a store at the same moment then cost two or three lock round trips, not
 * a hundred in a row (the console under load, issue 12). Each change still reaches the file
 * before its caller goes on, and an admitted operation is checked and counted in the same hold.
 */
import { z } from "zod";

import { isProcessAlive, selfStartTime } from "../../platform/process";
import { readListFile, replaceListFile } from "../locking/process-list-file";
import { paths } from "../../config/paths";
import { type DatastoreConfig, getDatastoreConfig, withDatastoreLock } from "../../config/datastore-config";
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

interface Change {
  op: Operation;
  delta: 1 | -1;
  /** Checks the config read under the lock; throwing refuses (and does not count) the change. */
  admit?: (config: DatastoreConfig) => void;
  resolve: (config: DatastoreConfig | undefined) => void;
  reject: (err: unknown) => void;
}

interface Batcher {
  pending: Change[];
  running: boolean;
}
/** One per datastore this process has counted on; a handful of stores, never per request. */
const batchers = new Map<string, Batcher>();

function enqueue(store: string, change: Omit<Change, "resolve" | "reject">): Promise<DatastoreConfig | undefined> {
  let b = batchers.get(store);
  if (!b) batchers.set(store, (b = { pending: [], running: false }));
  const p = new Promise<DatastoreConfig | undefined>((resolve, reject) => b.pending.push({ ...change, resolve, reject }));
  if (!b.running) void drain(store, b);
  return p;
}

async function drain(store: string, b: Batcher): Promise<void> {
  b.running = true;
  try {
    while (b.pending.length > 0) {
      const batch = b.pending.splice(0);
      try {
        await applyBatch(store, batch);
      } catch (err) {
        for (const c of batch) c.reject(err);
      }
    }
  } finally {
    b.running = false;
    batchers.delete(store);
  }
}

async function applyBatch(store: string, batch: Change[]): Promise<void> {
  await withDatastoreLock(store, async () => {
    let config: DatastoreConfig | undefined;
    let configError: unknown;
    const accepted: Change[] = [];
    const refused: [Change, unknown][] = [];
    for (const c of batch) {
      if (c.admit) {
        if (config === undefined && configError === undefined) {
          // Read without the config lock (it is replaced whole), once for the whole batch.
          config = await getDatastoreConfig(store).catch((err: unknown) => {
            configError = err;
            return undefined;
          });
        }
        try {
          if (configError !== undefined) throw configError;
          c.admit(config!);
        } catch (err) {
          refused.push([c, err]);
          continue;
        }
      }
      accepted.push(c);
    }
    if (accepted.length > 0) await replaceListFile(paths.activeOperations(store), fileSchema, WHAT, (current) => applyChanges(current, accepted));
    for (const [c, err] of refused) c.reject(err);
    for (const c of accepted) c.resolve(config);
  });
}

function applyChanges(current: Entry[], changes: Change[]): Entry[] {
  const entries = current.filter(isLive);
  const pstart = selfStartTime();
  let own = entries.find((e) => e.pid === process.pid && e.starttime === pstart);
  if (!own) {
    // PBS starts a new entry at 1 whatever the delta (a quirk): Coffer starts at 0 and adds,
    // so a stray decrement cannot leave a phantom operation behind for this process's life.
    own = { pid: process.pid, starttime: pstart, active_operations: { read: 0, write: 0 } };
    entries.push(own);
  }
  // Increments first: a batch never holds the decrement of an operation it also admits, but a
  // stray decrement must not eat a count this batch adds.
  for (const c of [...changes].sort((a, b) => b.delta - a.delta)) {
    if (c.op !== "lookup") own.active_operations[c.op] = Math.max(0, own.active_operations[c.op] + c.delta);
  }
  return entries;
}

/**
 * Adds `delta` to this process's count of `op` (a lookup counts nothing but still leaves an
 * entry, as in PBS). Entries of dead processes are dropped on the way. Takes the per-datastore
 * lock (batched with this process's other changes to the same store).
 */
export async function updateActiveOperations(store: string, op: Operation, delta: 1 | -1): Promise<void> {
  await enqueue(store, { op, delta });
}

/**
 * Counts one `op` on `store` if `admit` accepts the datastore's config as read under the
 * per-datastore lock (the maintenance check: a mode set meanwhile is either seen here, or set
 * only after this count is in the file). Returns that config. `admit`'s error is thrown
 * unchanged and nothing is counted.
 */
export async function admitOperation(store: string, op: "read" | "write", admit: (config: DatastoreConfig) => void): Promise<DatastoreConfig> {
  return (await enqueue(store, { op, delta: 1, admit }))!;
}

/** Sum over live processes; no lock (the file is only ever replaced whole). Missing = zeros. */
export async function getActiveOperations(store: string): Promise<ActiveOperationCounts> {
  const total = { read: 0, write: 0 };
  for (const e of (await readListFile(paths.activeOperations(store), fileSchema, WHAT)).filter(isLive)) {
    total.read += e.active_operations.read;
    total.write += e.active_operations.write;
  }
  return total;
}

function isLive(e: Entry): boolean {
  return isProcessAlive(e.pid, e.starttime);
}
