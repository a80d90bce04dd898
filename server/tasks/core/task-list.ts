/**
 * The `active` and `archive` task lists (reference pbs-engine.md 8.2) and the task listing of
 * PBS's `GET /nodes/{node}/tasks` (pbs-api-ui.md 2.6).
 *
 * `active`: one line per task, `UPID` while it runs, `UPID ENDTIME_HEX8 STATUS` once finished
 * but not yet moved. `archive`: `UPID ENDTIME_HEX8 STATUS` per finished task, appended in
 * end-time order per batch. Both change only under `tasks/.active.lock`; `active` is replaced
 * atomically, `archive` grows by one append per batch (a single write, so a reader sees whole
 * lines; a torn last line would be skipped as unparseable).
 */
import { taskDescription, taskOutcome, type TaskOutcome } from "./task-presentation";
import type { BigIntStats } from "node:fs";
import { lstatSync, readFileSync, statSync } from "node:fs";
import { appendFile, mkdir } from "node:fs/promises";
import path from "node:path";

import { paths } from "../../config/paths";
import { isErrno } from "../../datastore/model/errors";
import { isMoveTaskType } from "../../datastore/model/task-types";
import { writeFileAtomic } from "../../platform/atomic-file";
import { lockNamed } from "../../platform/file-lock";
import { sameFileVersion } from "../../platform/file-version";
import { isProcessAlive } from "../../platform/process";
import { readTaskEnd, readTaskStatus, taskLogPath } from "./task-log";
import { oneLine, parseTaskState, taskStateText, type TaskState, type TaskStateType } from "./task-state";
import { parseUpid, type Upid } from "./upid";

export interface TaskListEntry {
  upid: string;
  parsed: Upid;
  /** Undefined while the task runs. */
  state?: TaskState;
}

const activeFile = () => path.join(paths.tasks(), "active");
const archiveFile = () => path.join(paths.tasks(), "archive");
const listLock = () => path.join(paths.tasks(), ".active.lock");

const hex8 = (n: number) => n.toString(16).toUpperCase().padStart(8, "0");

/** A list line: `UPID` (running) or `UPID ENDTIME_HEX8 STATUS`. */
export function formatTaskListLine(e: { upid: string; state?: TaskState }): string {
  return e.state ? `${e.upid} ${hex8(e.state.endtime)} ${oneLine(taskStateText(e.state))}` : e.upid;
}

/** Parses a list line (PBS parse_worker_status_line); throws on a malformed one. */
export function parseTaskListLine(line: string): TaskListEntry {
  const parts = splitN(line, " ", 3);
  if (parts.length === 1) return { upid: parts[0]!, parsed: parseUpid(parts[0]!) };
  if (parts.length === 3 && /^[0-9A-Fa-f]+$/.test(parts[1]!)) {
    const state = parseTaskState(parts[2]!, parseInt(parts[1]!, 16));
    return { upid: parts[0]!, parsed: parseUpid(parts[0]!), state };
  }
  throw new Error(`malformed task list line '${line}': expected 'UPID' or 'UPID ENDTIME STATUS'`);
}

function splitN(s: string, sep: string, n: number): string[] {
  const out: string[] = [];
  let rest = s;
  while (out.length < n - 1) {
    const i = rest.indexOf(sep);
    if (i < 0) break;
    out.push(rest.slice(0, i));
    rest = rest.slice(i + sep.length);
  }
  out.push(rest);
  return out;
}

/**
 * Lines of a list file; a missing file is an empty list, malformed lines are skipped. Read with
 * a synchronous call: `active` is a few lines and the archive is read once per version, while
 * under writers a read through Node's file thread pool waited 100-250 ms behind the listings'
 * directory reads there (docs/benchmarks.md, the soak).
 */
function readList(file: string): TaskListEntry[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if (isErrno(err, "ENOENT")) return [];
    throw err;
  }
  const out: TaskListEntry[] = [];
  for (const line of text.split("\n")) {
    if (!line) continue;
    try {
      out.push(parseTaskListLine(line));
    } catch {
      // A line from a newer/older format, or a torn append: not worth failing a listing for.
    }
  }
  return out;
}

/** A list file as listings use it. */
interface ListView {
  /** In file order (the archive's: by end time, oldest first). */
  entries: readonly TaskListEntry[];
  upids: ReadonlySet<string>;
  /** The entries in reverse file order (the archive's newest-finished first). */
  newestFirst: readonly TaskListEntry[];
}

const NO_LIST: ListView = { entries: [], upids: new Set(), newestFirst: [] };
const listCache = new Map<string, { stat: BigIntStats; view: ListView }>();

/**
 * readList for listings: the archive holds every finished task and is read by each task list
 * request (the console polls it, bench/soak.ts's clients ask 5 times a second each), so its
 * parsed lines, their UPIDs and their reverse order are kept while the file is the same version
 * (appends and rotation change it): a request then copies nothing of the archive, however long
 * it is (with 1,000 archived tasks a page of 50 went from 161 to 31-37 us, the running GC's
 * lookup from 135 to 19-21 us). The version check is a synchronous `lstat` (microseconds), not
 * a trip through Node's file thread pool behind the listings' reads, as in readTaskEnd.
 * Updates read the files fresh, under the list lock.
 */
function readListCached(file: string): ListView {
  const stat = lstatSync(file, { bigint: true, throwIfNoEntry: false });
  if (stat === undefined) return NO_LIST;
  const hit = listCache.get(file);
  if (hit && sameFileVersion(hit.stat, stat)) return hit.view;
  const entries = readList(file);
  const view: ListView = { entries, upids: new Set(entries.map((e) => e.upid)), newestFirst: [...entries].reverse() };
  listCache.set(file, { stat, view });
  return view;
}

async function withListLock<T>(fn: () => Promise<T>): Promise<T> {
  await mkdir(paths.tasks(), { recursive: true, mode: 0o755 });
  const guard = await lockNamed(listLock());
  try {
    return await fn();
  } finally {
    await guard.release();
  }
}

/** Adds a starting task to `active` (the task does this itself, before it announces its UPID). */
export async function addActiveTask(upid: string): Promise<void> {
  const parsed = parseUpid(upid);
  await withListLock(async () => {
    const entries = readList(activeFile());
    entries.push({ upid, parsed });
    await writeFileAtomic(activeFile(), entries.map((e) => `${formatTaskListLine(e)}\n`).join(""), 0o660);
  });
}

/**
 * Moves finished tasks from `active` to `archive` (PBS update_active_workers): the one that is
 * `finishing` (with the state it just wrote), entries that carry a state already, and entries
 * whose process is gone (pid + start time), with their state read from their log's tail; an
 * unreadable log gives `unknown` at the current time. Returns the tasks still running.
 */
export async function updateActiveTasks(finishing?: { upid: string; state: TaskState }): Promise<TaskListEntry[]> {
  return withListLock(() => sweepActive(finishing));
}

async function sweepActive(finishing?: { upid: string; state: TaskState }): Promise<TaskListEntry[]> {
  const entries = readList(activeFile());
  const { running, finished, sawFinishing } = await classifyActive(entries, finishing);
  // A task whose active entry went missing still belongs in the archive once it ends.
  if (finishing && !sawFinishing) finished.push({ upid: finishing.upid, parsed: parseUpid(finishing.upid), state: finishing.state });
  if (finished.length > 0) {
    finished.sort((a, b) => a.state!.endtime - b.state!.endtime);
    await appendFile(archiveFile(), finished.map((e) => `${formatTaskListLine(e)}\n`).join(""), { mode: 0o660 });
  }
  if (running.length !== entries.length) {
    await writeFileAtomic(activeFile(), running.map((e) => `${formatTaskListLine(e)}\n`).join(""), 0o660);
  }
  return running;
}

/**
 * Logs of live tasks, as last seen without their final line: such a log is read again only once
 * it changed. Every task list asks this of every running task (the console polls the list, the
 * datastore summary looks for the running GC and the last verify), and reading each log's last
 * 8 KiB each time was most of a listing's cost: 145 us per running task, now one `stat` while
 * the log is unchanged. A log only grows, so an unchanged version has no final line yet.
 */
const openLogs = new Map<string, BigIntStats>();
/** More live tasks than this at once means entries of tasks gone unseen; start afresh. */
const MAX_OPEN_LOGS = 10_000;

/** The state in a live task's final log line, or undefined while it has none (or no log yet). */
async function finalStateOfLive(upid: string): Promise<TaskState | undefined> {
  const st = statSync(taskLogPath(upid), { bigint: true, throwIfNoEntry: false });
  if (st === undefined) return undefined;
  const seen = openLogs.get(upid);
  if (seen && sameFileVersion(seen, st)) return undefined;
  const end = await readTaskEnd(upid).catch(() => undefined);
  if (end?.final && end.state.state !== "unknown") {
    openLogs.delete(upid);
    return end.state;
  }
  if (openLogs.size >= MAX_OPEN_LOGS) openLogs.clear();
  openLogs.set(upid, st); // as of before the read: anything written since makes it read again
  return undefined;
}

/** Splits `active` entries into the running and the finished ones (with their state). Reads only. */
async function classifyActive(
  entries: readonly TaskListEntry[],
  finishing?: { upid: string; state: TaskState },
): Promise<{ running: TaskListEntry[]; finished: TaskListEntry[]; sawFinishing: boolean }> {
  const running: TaskListEntry[] = [];
  const finished: TaskListEntry[] = [];
  let sawFinishing = false;
  for (const e of entries) {
    if (finishing && e.upid === finishing.upid) {
      sawFinishing = true;
      finished.push({ ...e, state: finishing.state });
    } else if (e.state) {
      openLogs.delete(e.upid);
      finished.push(e);
    } else if (isProcessAlive(e.parsed.pid, e.parsed.pstart)) {
      // Its log may already end with `TASK ...` while the process is still on its way out:
      // then it has finished (taskStatus says so too), and lists must agree.
      const state = await finalStateOfLive(e.upid);
      if (state) finished.push({ ...e, state });
      else running.push(e);
    } else {
      openLogs.delete(e.upid);
      const state = await readTaskStatus(e.upid).catch((): TaskState => ({ state: "unknown", endtime: Math.floor(Date.now() / 1000) }));
      finished.push({ ...e, state });
    }
  }
  return { running, finished, sawFinishing };
}

// ---------------------------------------------------------------------------------------------
// Listing.

/** One task as PBS's task list returns it (snake_case keys, as PBS has them here). */
export interface TaskListItem {
  upid: string;
  node: string;
  pid: number;
  pstart: number;
  starttime: number;
  worker_type: string;
  worker_id?: string;
  user: string;
  endtime?: number;
  status?: string;
  /** Coffer's addition: the task in a sentence (`Move group vm/100 in root to 'b' (demo)`). */
  description: string;
  /** Coffer's addition: how it ended, in plain words (running tasks: `Running`). */
  outcome: TaskOutcome;
}

export interface ListTasksOptions {
  /** Only running tasks. */
  running?: boolean;
  /** Only tasks that did not end OK (PBS `errors`). */
  errors?: boolean;
  /** Skip this many matching tasks. Default 0. */
  start?: number;
  /** At most this many; 0 means no limit. Default 50. */
  limit?: number;
  /** Epoch seconds: tasks started at or after. */
  since?: number;
  /** Epoch seconds: tasks started at or before. */
  until?: number;
  /** Substring of the worker type. */
  typefilter?: string;
  /** Only finished tasks whose state is one of these. */
  statusfilter?: TaskStateType[];
  /** Tasks of this datastore (see taskMatchesStore). */
  store?: string;
  /** Substring of the auth id. */
  userfilter?: string;
  /** Keeps only tasks whose auth id passes (the API's limit for callers without Sys.Audit). */
  owner?: (authId: string) => boolean;
}

/**
 * Tasks, running first (newest start first), then finished ones newest-finished first, with
 * PBS's filters. `total` is PBS's approximate count: start plus the number returned, plus 1
 * when the page is full (it drives infinite scrolling).
 */
export async function listTasks(opts: ListTasksOptions = {}): Promise<{ data: TaskListItem[]; total: number }> {
  // No lock: a listing must not queue behind tasks that start and end (both files are only
  // replaced whole or appended to, and a torn last line is skipped). Tasks that ended without
  // being moved to the archive yet (killed, or on their way out) are shown as ended here; the
  // next task to end moves them (updateActiveTasks). An ending task may for a moment be in both
  // files: the archive's line wins.
  const active = readListCached(activeFile());
  const archive = readListCached(archiveFile());
  const classified = await classifyActive(active.entries.filter((e) => !archive.upids.has(e.upid)));
  const running = classified.running;
  running.sort((a, b) => b.parsed.starttime - a.parsed.starttime);
  // Appended in end-time order, so the file read backwards is newest-finished first (as PBS);
  // the few ended tasks still in `active` go in by their end time.
  const archived = opts.running ? [] : mergeByEndDesc(archive.newestFirst, classified.finished);

  const start = opts.start ?? 0;
  const limit = opts.limit ?? 50;
  const data: TaskListItem[] = [];
  let skipped = 0;
  scan: for (const list of [running, archived]) {
    for (const e of list) {
      const verdict = matches(e, opts);
      if (verdict === "stop") break scan;
      if (verdict === "skip") continue;
      if (skipped < start) {
        skipped++;
        continue;
      }
      data.push(toItem(e));
      if (limit !== 0 && data.length >= limit) break scan;
    }
  }
  const full = limit !== 0 && data.length >= limit;
  return { data, total: start + data.length + (full ? 1 : 0) };
}

/** `extra` placed into `newestFirst` (ended tasks, newest end first) by end time; ties go after. */
function mergeByEndDesc(newestFirst: readonly TaskListEntry[], extra: TaskListEntry[]): readonly TaskListEntry[] {
  if (extra.length === 0) return newestFirst;
  const out: TaskListEntry[] = [];
  const rest = [...extra].sort((a, b) => b.state!.endtime - a.state!.endtime);
  for (const e of newestFirst) {
    while (rest.length > 0 && rest[0]!.state!.endtime > e.state!.endtime) out.push(rest.shift()!);
    out.push(e);
  }
  return [...out, ...rest];
}

function matches(e: TaskListEntry, o: ListTasksOptions): "take" | "skip" | "stop" {
  const u = e.parsed;
  if (o.until !== undefined && u.starttime > o.until) return "skip";
  if (o.since !== undefined) {
    // Finished tasks come newest-finished first: once one ended before `since`, all the rest did.
    if (e.state && e.state.endtime < o.since) return "stop";
    if (u.starttime < o.since) return "skip";
  }
  if (o.userfilter !== undefined && !u.authId.includes(o.userfilter)) return "skip";
  if (o.owner !== undefined && !o.owner(u.authId)) return "skip";
  if (o.store !== undefined && !taskMatchesStore(u, o.store)) return "skip";
  if (o.typefilter !== undefined && !u.workerType.includes(o.typefilter)) return "skip";
  if (e.state && o.running) return "skip";
  if (e.state?.state === "ok" && o.errors) return "skip";
  if (o.statusfilter !== undefined) {
    if (!e.state || !o.statusfilter.includes(e.state.state)) return "skip";
  }
  return "take";
}

/**
 * Whether `active` lists an unfinished move task (move-group, move-namespace) of `store`. No
 * liveness check: a move that died before it was archived still counts, so a caller that skips
 * looking for a move's locks when this says no never skips one that may be held (a task enters
 * `active` before it takes any lock, worker.ts). Costs one `lstat` while the list is unchanged.
 */
export function moveMayRun(store: string): boolean {
  return readListCached(activeFile()).entries.some((e) => e.state === undefined && isMoveTaskType(e.parsed.workerType) && taskMatchesStore(e.parsed, store));
}

/**
 * Whether a task belongs to a datastore, for the `store` filter. PBS matches only job-like
 * types (verify, prune, prunejob, backup, garbage_collection, sync) by their worker id; Coffer also
 * matches its move tasks, whose worker ids start with `<store>:` as well, so a datastore's
 * task list shows the moves run on it (PBS leaves them out, pbs-api-ui.md 2.6).
 */
export function taskMatchesStore(u: Upid, store: string): boolean {
  const id = u.workerId;
  if (id === undefined) return false;
  const storeOrPrefixed = id === store || id.startsWith(`${store}:`);
  if (u.workerType.startsWith("verif") || isMoveTaskType(u.workerType)) return storeOrPrefixed;
  switch (u.workerType) {
    case "prune":
    case "backup":
    case "garbage_collection":
    case "s3-refresh":
      return storeOrPrefixed;
    case "prunejob":
      return id.startsWith(`${store}:`);
    default:
      return false;
  }
}

function toItem(e: TaskListEntry): TaskListItem {
  const u = e.parsed;
  const item: TaskListItem = {
    upid: e.upid,
    node: u.node,
    pid: u.pid,
    pstart: u.pstart,
    starttime: u.starttime,
    worker_type: u.workerType,
    user: u.authId,
    description: taskDescription(u.workerType, u.workerId),
    outcome: taskOutcome(e.state ? { status: "stopped", exitstatus: taskStateText(e.state) } : { status: "running" }),
  };
  if (u.workerId !== undefined) item.worker_id = u.workerId;
  if (e.state) {
    item.endtime = e.state.endtime;
    item.status = taskStateText(e.state);
  }
  return item;
}
