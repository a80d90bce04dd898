/**
 * One line per finished garbage collection, for the console's history chart (PBS keeps only the
 * last run's `.gc-status`; the history is Coffer's addition). `COFFER_HOME/log/gc-history/
 * <store>.jsonl`, appended by the `garbage_collection` task when a run ends well, bounded to the
 * last MAX_GC_HISTORY runs.
 */
import { appendFile, mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";

import { isErrno } from "../model/errors";
import type { GcStatus } from "./gc-status";
import { writeFileAtomic } from "../../platform/atomic-file";
import { lockNamed } from "../../platform/file-lock";
import { cofferHome } from "../../config/paths";

export const MAX_GC_HISTORY = 200;

const entrySchema = z.object({
  upid: z.string(),
  /** Epoch seconds. */
  endtime: z.number(),
  "removed-bytes": z.number(),
  "removed-chunks": z.number().default(0),
  "pending-bytes": z.number().default(0),
  "disk-bytes": z.number(),
  "disk-chunks": z.number().default(0),
  "index-data-bytes": z.number(),
  /** index-data-bytes / disk-bytes, 1 for an empty store (PBS's log line). */
  "dedup-factor": z.number(),
});
export type GcHistoryEntry = z.infer<typeof entrySchema>;

const historyFile = (store: string) => path.join(cofferHome(), "log", "gc-history", `${store}.jsonl`);

/** PBS's "Deduplication factor" line: original data over on-disk bytes. */
export function dedupFactor(s: Pick<GcStatus, "disk-bytes" | "index-data-bytes">): number {
  return s["disk-bytes"] > 0 ? s["index-data-bytes"] / s["disk-bytes"] : 1;
}

export function gcHistoryEntry(upid: string, endtime: number, s: GcStatus): GcHistoryEntry {
  return {
    upid,
    endtime,
    "removed-bytes": s["removed-bytes"],
    "removed-chunks": s["removed-chunks"],
    "pending-bytes": s["pending-bytes"],
    "disk-bytes": s["disk-bytes"],
    "disk-chunks": s["disk-chunks"],
    "index-data-bytes": s["index-data-bytes"],
    "dedup-factor": dedupFactor(s),
  };
}

/** The runs recorded for `store`, oldest first; malformed lines (a torn append) are skipped. */
export async function readGcHistory(store: string): Promise<GcHistoryEntry[]> {
  let text: string;
  try {
    text = await readFile(historyFile(store), "utf8");
  } catch (err) {
    if (isErrno(err, "ENOENT")) return [];
    throw err;
  }
  const out: GcHistoryEntry[] = [];
  for (const line of text.split("\n")) {
    if (!line) continue;
    try {
      const parsed = entrySchema.safeParse(JSON.parse(line));
      if (parsed.success) out.push(parsed.data);
    } catch {
      // skipped
    }
  }
  return out;
}

/** Appends one run under the file's lock; past MAX_GC_HISTORY lines the file is cut to the newest. */
export async function appendGcHistory(store: string, entry: GcHistoryEntry): Promise<void> {
  const file = historyFile(store);
  await mkdir(path.dirname(file), { recursive: true });
  const guard = await lockNamed(`${file}.lock`);
  try {
    await appendFile(file, `${JSON.stringify(entry)}\n`, { mode: 0o644 });
    const all = await readGcHistory(store);
    if (all.length > MAX_GC_HISTORY) {
      await writeFileAtomic(file, all.slice(-MAX_GC_HISTORY).map((e) => `${JSON.stringify(e)}\n`).join(""));
    }
  } finally {
    await guard.release();
  }
}
