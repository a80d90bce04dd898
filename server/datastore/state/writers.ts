/**
 * Registry of running backup writers per datastore, for GC's oldest-writer rule (DESIGN.md 5,
 * reference 3.6, 5.1). PBS keeps this in its chunk-store ProcessLocker, which assumes every
 * backup runs in one daemon; Coffer runs each task in its own process, so writers register in
 * `run/writers/<store>` instead: `[{"id":"..","pid":1234,"pstart":987654,"started":1700000000000}]`.
 * Changed under the exclusive lock `<file>.lock` (10 s) and replaced atomically; entries of dead
 * processes are ignored at once and dropped at the next change.
 */
import { randomBytes } from "node:crypto";
import { z } from "zod";

import { isProcessAlive, selfStartTime } from "../../platform/process";
import { readListFile, updateListFile } from "../locking/process-list-file";
import { paths } from "../../config/paths";

const entrySchema = z.object({
  id: z.string(),
  pid: z.number().int().positive(),
  pstart: z.number().int().nonnegative(),
  /** Epoch milliseconds when the writer started. */
  started: z.number(),
});
type Entry = z.infer<typeof entrySchema>;
const fileSchema = z.array(entrySchema);
const WHAT = "backup writer registry";

export interface RegisteredWriter {
  /** Epoch milliseconds, as recorded. */
  startedAt: number;
  /** Removes the entry. Idempotent. */
  unregister(): Promise<void>;
}

/**
 * Records this process as a backup writer from now on. GC started while it runs keeps every
 * chunk touched since `startedAt` (minus PBS's 5 minute gap), so the writer's new chunks, not
 * yet referenced by any index, survive.
 */
export async function registerWriter(store: string): Promise<RegisteredWriter> {
  const id = randomBytes(8).toString("hex");
  const startedAt = Date.now();
  await update(store, (entries) => [...entries, { id, pid: process.pid, pstart: selfStartTime(), started: startedAt }]);
  let registered = true;
  return {
    startedAt,
    unregister: async () => {
      if (!registered) return;
      registered = false;
      await update(store, (entries) => entries.filter((e) => e.id !== id));
    },
  };
}

/** Start (epoch ms) of the oldest live writer, or undefined when none runs. No lock needed. */
export async function oldestWriterStart(store: string): Promise<number | undefined> {
  const live = readListFile(paths.writers(store), fileSchema, WHAT).filter(isLive);
  return live.length === 0 ? undefined : Math.min(...live.map((e) => e.started));
}

function update(store: string, change: (live: Entry[]) => Entry[]): Promise<void> {
  return updateListFile(paths.writers(store), fileSchema, WHAT, (current) => change(current.filter(isLive)));
}

function isLive(e: Entry): boolean {
  return isProcessAlive(e.pid, e.pstart);
}
