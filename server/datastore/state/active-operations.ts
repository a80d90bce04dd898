/**
 * Per-datastore count of running read and write operations across processes (reference
 * pbs-engine.md 6.4): `run/active-operations/<store>` holds one entry per process,
 * `[{"pid":1234,"starttime":987654,"active_operations":{"read":1,"write":0}}]`, changed only
 * under the exclusive lock `<file>.lock` (10 s) and replaced atomically. Entries of processes
 * that died (or whose pid now belongs to another process) no longer count, at once.
 */
import { z } from "zod";

import { isProcessAlive, selfStartTime } from "../../platform/process";
import { readListFile, updateListFile } from "../locking/process-list-file";
import { paths } from "../../config/paths";
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

/**
 * Adds `delta` to this process's count of `op` (a lookup counts nothing but still leaves an
 * entry, as in PBS). Entries of dead processes are dropped on the way. Takes `<file>.lock`.
 */
export async function updateActiveOperations(store: string, op: Operation, delta: 1 | -1): Promise<void> {
  await updateListFile(paths.activeOperations(store), fileSchema, WHAT, (current) => {
    const entries = current.filter(isLive);
    const pstart = selfStartTime();
    let own = entries.find((e) => e.pid === process.pid && e.starttime === pstart);
    if (!own) {
      // PBS starts a new entry at 1 whatever the delta (a quirk): Coffer starts at 0 and adds,
      // so a stray decrement cannot leave a phantom operation behind for this process's life.
      own = { pid: process.pid, starttime: pstart, active_operations: { read: 0, write: 0 } };
      entries.push(own);
    }
    if (op !== "lookup") own.active_operations[op] = Math.max(0, own.active_operations[op] + delta);
    return entries;
  });
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
