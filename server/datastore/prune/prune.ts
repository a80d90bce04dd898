/**
 * Prune (PBS prune.rs and the `prune` API, reference pbs-engine.md 9.2): which snapshots of a
 * group the keep options select, and removing the rest.
 *
 * `computePruneInfo` is a faithful port, including its quirks: selection keys are in LOCAL time
 * (so results depend on TZ, as in PBS), protected snapshots never consume a keep quota, and an
 * unfinished snapshot is kept only while no finished one is newer.
 */
import { errorMessage } from "../model/errors";
import { snapshotDisplay } from "../storage/layout";
import { nullLog, type EngineLog } from "../model/log";
import { type BackupNamespace, type BackupType, formatBackupTime, type GroupRef, groupPath, type SnapshotRef } from "../model/names";
import { storeOf, type ReadHandle, type WriteHandle } from "../open";

/** PBS KeepOptions, keyed as the API has them. */
export interface KeepOptions {
  "keep-last"?: number;
  "keep-hourly"?: number;
  "keep-daily"?: number;
  "keep-weekly"?: number;
  "keep-monthly"?: number;
  "keep-yearly"?: number;
}

export const KEEP_OPTION_NAMES = [
  "keep-last",
  "keep-hourly",
  "keep-daily",
  "keep-weekly",
  "keep-monthly",
  "keep-yearly",
] as const satisfies readonly (keyof KeepOptions)[];

export type PruneMark = "protected" | "keep" | "keep-partial" | "remove";

/** What compute_prune_info needs to know of a snapshot. */
export interface PruneCandidate {
  time: number;
  /** Has a manifest. */
  finished: boolean;
  protected: boolean;
}

/** PBS `PruneMark::keep`: everything but `remove`. */
export const markKeeps = (m: PruneMark) => m !== "remove";

/** PBS `keeps_something`: whether any keep option is above 0. Without one, prune keeps everything. */
export function keepsSomething(keep: KeepOptions): boolean {
  return KEEP_OPTION_NAMES.reduce((sum, k) => sum + (keep[k] ?? 0), 0) > 0;
}

const pad2 = (n: number) => String(n).padStart(2, "0");

/** ISO 8601 week-numbering year and week (`%G` / `%V`) of a calendar date. */
function isoWeek(year: number, month: number, day: number): { year: number; week: number } {
  const date = Date.UTC(year, month, day);
  const weekday = (new Date(date).getUTCDay() + 6) % 7; // Monday = 0
  const thursday = new Date(date + (3 - weekday) * 86_400_000); // the week belongs to its Thursday's year
  const isoYear = thursday.getUTCFullYear();
  const week = 1 + Math.floor((thursday.getTime() - Date.UTC(isoYear, 0, 1)) / (7 * 86_400_000));
  return { year: isoYear, week };
}

type KeyFn = (time: number) => string;

/** strftime_local keys: PBS formats in the server's local time zone. */
const selectionKeys: Record<(typeof KEEP_OPTION_NAMES)[number], KeyFn> = {
  "keep-last": (t) => formatBackupTime(t),
  "keep-hourly": (t) => {
    const d = new Date(t * 1000);
    return `${d.getFullYear()}/${pad2(d.getMonth() + 1)}/${pad2(d.getDate())}/${pad2(d.getHours())}`;
  },
  "keep-daily": (t) => {
    const d = new Date(t * 1000);
    return `${d.getFullYear()}/${pad2(d.getMonth() + 1)}/${pad2(d.getDate())}`;
  },
  "keep-weekly": (t) => {
    const d = new Date(t * 1000);
    const w = isoWeek(d.getFullYear(), d.getMonth(), d.getDate());
    return `${w.year}/${pad2(w.week)}`;
  },
  "keep-monthly": (t) => {
    const d = new Date(t * 1000);
    return `${d.getFullYear()}/${pad2(d.getMonth() + 1)}`;
  },
  "keep-yearly": (t) => String(new Date(t * 1000).getFullYear()),
};

/** PBS `mark_selections`. `list` is newest first; `mark` is keyed by backup time. */
function markSelections(mark: Map<number, PruneMark>, list: readonly PruneCandidate[], keep: number, key: KeyFn): void {
  const alreadyIncluded = new Set<string>();
  for (const info of list) if (mark.get(info.time) === "keep") alreadyIncluded.add(key(info.time));
  const included = new Set<string>();
  for (const info of list) {
    if (mark.has(info.time)) continue;
    if (info.protected) {
      mark.set(info.time, "protected");
      continue;
    }
    const sel = key(info.time);
    if (alreadyIncluded.has(sel)) continue;
    if (!included.has(sel)) {
      if (included.size >= keep) break;
      included.add(sel);
      mark.set(info.time, "keep");
    } else {
      mark.set(info.time, "remove");
    }
  }
}

/** PBS `remove_incomplete_snapshots`: keep the newest unfinished one only if nothing finished is newer. */
function markIncomplete(mark: Map<number, PruneMark>, list: readonly PruneCandidate[]): void {
  let keepUnfinished = true;
  for (const info of list) {
    if (info.finished) {
      keepUnfinished = false;
    } else {
      mark.set(info.time, keepUnfinished ? "keep-partial" : "remove");
      keepUnfinished = false;
    }
  }
}

/**
 * PBS `compute_prune_info`: every snapshot with its mark, newest first. Alone it marks
 * everything `remove` when no keep option is set; callers check `keepsSomething` first.
 */
export function computePruneInfo<T extends PruneCandidate>(list: readonly T[], keep: KeepOptions): { info: T; mark: PruneMark }[] {
  const sorted = [...list].sort((a, b) => b.time - a.time);
  const mark = new Map<number, PruneMark>();
  markIncomplete(mark, sorted);
  for (const option of KEEP_OPTION_NAMES) {
    const n = keep[option];
    if (n !== undefined) markSelections(mark, sorted, n, selectionKeys[option]);
  }
  return sorted.map((info) => ({ info, mark: info.protected ? "protected" : (mark.get(info.time) ?? "remove") }));
}

/** One entry of PBS's prune result (the dry-run answer). */
export interface PruneResult {
  "backup-type": BackupType;
  "backup-id": string;
  "backup-time": number;
  keep: boolean;
  protected: boolean;
  /** Only outside the root namespace, as PBS. */
  ns?: string;
}

export interface PrunePlanEntry {
  snapshot: SnapshotRef;
  mark: PruneMark;
  /** Whether it stays: its mark keeps it, or no keep option was given. */
  keep: boolean;
}

export interface PrunePlan {
  /** False when no keep option is above 0: then everything is kept. */
  keepsSomething: boolean;
  /** Oldest first, the order removals happen in. */
  entries: PrunePlanEntry[];
}

/** What a prune would do, from a read handle (a preview changes nothing and needs no write access). */
export async function planPrune(handle: ReadHandle, ns: BackupNamespace, group: GroupRef, keep: KeepOptions): Promise<PrunePlan> {
  await handle.group(ns, group); // NOT_FOUND for a group that does not exist
  const list = (await handle.listSnapshots(ns, group)).map((s) => ({
    time: s["backup-time"],
    finished: s.finished,
    protected: s.protected,
  }));
  const keepAll = !keepsSomething(keep);
  const entries = computePruneInfo(list, keep)
    .reverse()
    .map(({ info, mark }) => ({ snapshot: { ...group, time: info.time }, mark, keep: keepAll || markKeeps(mark) }));
  return { keepsSomething: !keepAll, entries };
}

export function pruneResults(ns: BackupNamespace, plan: PrunePlan): PruneResult[] {
  return plan.entries.map((e) => {
    const r: PruneResult = {
      "backup-type": e.snapshot.type,
      "backup-id": e.snapshot.id,
      "backup-time": e.snapshot.time,
      keep: e.keep,
      protected: e.mark === "protected",
    };
    if (!ns.isRoot) r.ns = ns.toString();
    return r;
  });
}

/** How the prune log names a mark (PBS prune job). */
export function markLabel(e: PrunePlanEntry): string {
  if (e.mark === "protected") return "keep protected";
  if (e.mark === "keep-partial") return "keep partial";
  return e.keep ? "keep" : "remove";
}

/** `--keep-last 3 --keep-daily 7`, as PBS logs the retention options. */
export function keepOptionsCli(keep: KeepOptions): string {
  return KEEP_OPTION_NAMES.filter((k) => keep[k] !== undefined)
    .map((k) => `--${k} ${keep[k]}`)
    .join(" ");
}

export interface PruneGroupOptions {
  dryRun?: boolean;
  log?: EngineLog;
  signal?: AbortSignal;
}

/**
 * Prunes one group (PBS `prune` API): computes the plan, then removes what it does not keep,
 * oldest first, each with the non-force destroy (exclusive snapshot lock, then manifest lock;
 * protected snapshots are refused). A snapshot that cannot be removed (locked by a running
 * backup, a reader or a verify) is a warning `failed to remove dir ...`, and pruning goes on.
 * With `dryRun`, nothing changes. Returns PBS's result list, oldest first.
 */
export async function pruneGroup(
  handle: WriteHandle,
  ns: BackupNamespace,
  group: GroupRef,
  keep: KeepOptions,
  opts: PruneGroupOptions = {},
): Promise<PruneResult[]> {
  storeOf(handle); // a write operation: refused on anything but a write handle, before it reads
  const log = opts.log ?? nullLog;
  const plan = await planPrune(handle, ns, group, keep);
  if (opts.dryRun) return pruneResults(ns, plan);

  if (!plan.keepsSomething) {
    log.warn("No prune selection - keeping all files.");
  } else {
    const retention = [ns.isRoot ? "" : `--ns ${ns}`, keepOptionsCli(keep)].filter(Boolean).join(" ");
    log.info(`retention options: ${retention}`);
    const where = ns.isRoot ? `datastore '${handle.name}', root namespace` : `datastore '${handle.name}', namespace '${ns}'`;
    log.info(`Starting prune on ${where} group "${groupPath(group)}"`);
  }
  for (const e of plan.entries) {
    opts.signal?.throwIfAborted();
    log.info(`${groupPath(group)}/${formatBackupTime(e.snapshot.time)} ${markLabel(e)}`);
    if (e.keep) continue;
    try {
      await handle.destroySnapshot(ns, e.snapshot);
    } catch (err) {
      log.warn(`failed to remove dir ${JSON.stringify(snapshotDisplay(ns, e.snapshot))}: ${errorMessage(err)}`);
    }
  }
  return pruneResults(ns, plan);
}
