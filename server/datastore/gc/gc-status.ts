/**
 * What a garbage collection found, as PBS reports it (reference 5.3): the counters, the summary
 * lines of the task log, and `<base>/.gc-status`, the JSON document the last run leaves behind
 * (PBS GarbageCollectionStatus, kebab-case keys) for `coffer gc status` and the console.
 */
import { readStoreOf, type ReadHandle } from "../open";
import { z } from "zod";

import { CofferError, errorMessage } from "../model/errors";
import { GC_STATUS_FILE } from "../storage/layout";
import type { Store } from "../storage/store";

export interface GcCacheStats {
  hits: number;
  misses: number;
}

/** PBS GarbageCollectionStatus with its JSON key names. */
export interface GcStatus {
  upid: string | null;
  /** Index files marked (a journal re-mark of one counts again, as in PBS). */
  "index-file-count": number;
  /** Sum of the logical sizes the marked indexes reference ("Original data usage"). */
  "index-data-bytes": number;
  /** Bytes and number of chunks in use after the sweep. */
  "disk-bytes": number;
  "disk-chunks": number;
  "removed-bytes": number;
  "removed-chunks": number;
  /** Unreferenced chunks younger than the oldest writer's start: removed by a later run. */
  "pending-bytes": number;
  "pending-chunks": number;
  "removed-bad": number;
  "still-bad": number;
  "cache-stats"?: GcCacheStats;
}

export function emptyGcStatus(upid: string | null): GcStatus {
  return {
    upid,
    "index-file-count": 0,
    "index-data-bytes": 0,
    "disk-bytes": 0,
    "disk-chunks": 0,
    "removed-bytes": 0,
    "removed-chunks": 0,
    "pending-bytes": 0,
    "pending-chunks": 0,
    "removed-bad": 0,
    "still-bad": 0,
    "cache-stats": { hits: 0, misses: 0 },
  };
}

const count = z.number().int().nonnegative().default(0);
const statusSchema = z.object({
  upid: z.string().nullable().default(null),
  "index-file-count": count,
  "index-data-bytes": count,
  "disk-bytes": count,
  "disk-chunks": count,
  "removed-bytes": count,
  "removed-chunks": count,
  "pending-bytes": count,
  "pending-chunks": count,
  "removed-bad": count,
  "still-bad": count,
  "cache-stats": z.object({ hits: count, misses: count }).optional(),
});

/**
 * PBS HumanByte (binary units): the value rounded to 3 decimals and printed in its shortest
 * form, so `0 B`, `1023 B`, `1 KiB`, `1.5 MiB`, `1.235 GiB`.
 */
export function humanByte(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  // PBS picks the unit by the bit length of the integer size: 11..20 bits KiB, 21..30 MiB, ...
  const bits = bytes < 1 ? 0 : Math.floor(bytes).toString(2).length;
  const u = Math.min(units.length - 1, Math.max(0, Math.floor((bits - 1) / 10)));
  const value = bytes / 1024 ** u;
  return `${Math.round(value * 1000) / 1000} ${units[u]}`;
}

/**
 * proxmox-time TimeSpan's Display for whole seconds: `1d 5m` for 86,700 s, `2h 30m 5s`,
 * `<0.1s` for zero. Months are `M`, minutes `m`; a year is 365.25 days and a month 30.44.
 */
export function timeSpan(seconds: number): string {
  let rest = Math.floor(seconds);
  const secs = rest % 60;
  rest = Math.floor(rest / 60);
  const minutes = rest % 60;
  rest = Math.floor(rest / 60);
  const hours = rest % 24;
  const days = Math.floor(rest / 24);
  const years = Math.floor(days / 365.25);
  const ydays = Math.floor(days % 365.25);
  const months = Math.floor(ydays / 30.44);
  const mdays = Math.floor(ydays % 30.44);
  const parts: string[] = [];
  const add = (v: number, unit: string) => {
    if (v > 0) parts.push(`${v}${unit}`);
  };
  add(years, "y");
  add(months, "M");
  add(Math.floor(mdays / 7), "w");
  add(mdays % 7, "d");
  add(hours, "h");
  add(minutes, "m");
  if (secs > 0) parts.push(`${secs}s`);
  return parts.length === 0 ? "<0.1s" : parts.join(" ");
}

/**
 * The task log lines that end a GC, in PBS's order and wording (its garbage_collection_impl):
 * the cache line comes first there, and the optional lines appear only when non-zero.
 */
export function gcSummaryLines(s: GcStatus): string[] {
  const lines: string[] = [];
  const cache = s["cache-stats"];
  if (cache && cache.hits + cache.misses > 0) {
    const ratio = (cache.hits * 100) / (cache.hits + cache.misses);
    lines.push(`Chunk cache: hits ${cache.hits}, misses ${cache.misses} (hit ratio ${ratio.toFixed(2)}%)`);
  }
  lines.push(`Removed garbage: ${humanByte(s["removed-bytes"])}`);
  lines.push(`Removed chunks: ${s["removed-chunks"]}`);
  if (s["pending-bytes"] > 0) {
    lines.push(`Pending removals: ${humanByte(s["pending-bytes"])} (in ${s["pending-chunks"]} chunks)`);
  }
  if (s["removed-bad"] > 0) lines.push(`Removed bad chunks: ${s["removed-bad"]}`);
  if (s["still-bad"] > 0) lines.push(`Leftover bad chunks: ${s["still-bad"]}`);
  lines.push(`Original data usage: ${humanByte(s["index-data-bytes"])}`);
  if (s["index-data-bytes"] > 0) {
    const pct = (s["disk-bytes"] * 100) / s["index-data-bytes"];
    lines.push(`On-Disk usage: ${humanByte(s["disk-bytes"])} (${pct.toFixed(2)}%)`);
  }
  lines.push(`On-Disk chunks: ${s["disk-chunks"]}`);
  const dedup = s["disk-bytes"] > 0 ? s["index-data-bytes"] / s["disk-bytes"] : 1;
  lines.push(`Deduplication factor: ${dedup.toFixed(2)}`);
  if (s["disk-chunks"] > 0) {
    // PBS divides integers here, so the average is a whole number of bytes.
    lines.push(`Average chunk size: ${humanByte(Math.floor(s["disk-bytes"] / s["disk-chunks"]))}`);
  }
  return lines;
}

/** Replaces `<base>/.gc-status` atomically (temp file + rename), mode 0644 as PBS. */
export async function writeGcStatus(store: Store, status: GcStatus): Promise<void> {
  await store.backend.writeFileAtomic(GC_STATUS_FILE, JSON.stringify(status));
}

/**
 * The status the last GC left, or undefined when none ever ran here (PBS then shows an empty
 * status). Reads only; a lookup of the file, no lock.
 */
export async function readGcStatus(ds: ReadHandle): Promise<GcStatus | undefined> {
  const store = readStoreOf(ds);
  const raw = await store.backend.readFileIfExists(GC_STATUS_FILE);
  if (raw === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(raw.toString("utf8"));
  } catch (err) {
    throw new CofferError(
      "INTERNAL",
      `unable to parse GC status ${JSON.stringify(store.backend.absolute(GC_STATUS_FILE))} - ${errorMessage(err)}`,
    );
  }
  const parsed = statusSchema.safeParse(json);
  if (!parsed.success) {
    throw new CofferError(
      "INTERNAL",
      `invalid GC status ${JSON.stringify(store.backend.absolute(GC_STATUS_FILE))} - ${parsed.error.message}`,
    );
  }
  return parsed.data;
}
