/**
 * The last run of each job (PBS jobstate files, /var/lib/proxmox-backup/jobstates/<type>-<id>.json),
 * under `COFFER_HOME/lib/jobstates/`. A job is `created` (never ran: the schedule counts from
 * its creation), `started` (a task runs it) or `finished` (its task ended; the state copies the
 * task's end). A `started` job whose task has ended is read as `finished`: the task process
 * writes no job state, so a task killed with -9 still ends its job's run.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { paths } from "../config/paths";
import { CofferError, isErrno } from "../datastore/model/errors";
import { writeFileAtomic } from "../platform/atomic-file";
import { lockNamed } from "../platform/file-lock";
import { isTaskRunning, parseUpid, taskStatus } from "../tasks";
import { WORKER_TYPE, type JobType } from "./job-types";

/** `skipped`: why the last due run was not started (maintenance), until a run starts. */
const skipped = z.string().optional();

const stateSchema = z.discriminatedUnion("state", [
  z.object({ state: z.literal("created"), time: z.number().int(), skipped }),
  /** `time`: when the scheduler (or a user) started it, by the scheduler's clock. */
  z.object({ state: z.literal("started"), upid: z.string(), time: z.number().int().optional(), skipped }),
  z.object({
    state: z.literal("finished"),
    upid: z.string(),
    time: z.number().int().optional(),
    endtime: z.number().int(),
    /** `OK`, `WARNINGS: n`, `unknown` or the error message (the task's end). */
    status: z.string(),
    /** A failure notice was sent for this run (or none was configured when it was seen). */
    notified: z.boolean().optional(),
    skipped,
  }),
]);
export type JobState = z.infer<typeof stateSchema>;

function stateFile(type: JobType, id: string): string {
  return path.join(paths.jobStates(), `${WORKER_TYPE[type]}-${id}.json`);
}

/** The job's lock: held while a run is started, so two starts of one job cannot race. */
export async function withJobLock<T>(type: JobType, id: string, fn: () => Promise<T>): Promise<T> {
  await fs.mkdir(paths.jobStates(), { recursive: true, mode: 0o755 });
  const guard = await lockNamed(path.join(paths.jobStates(), `${WORKER_TYPE[type]}-${id}.lck`));
  try {
    return await fn();
  } finally {
    await guard.release();
  }
}

/** The stored state as written; undefined when the job never had one. */
export async function readJobState(type: JobType, id: string): Promise<JobState | undefined> {
  let text: string;
  try {
    text = await fs.readFile(stateFile(type, id), "utf8");
  } catch (err) {
    if (isErrno(err, "ENOENT")) return undefined;
    throw err;
  }
  try {
    const r = stateSchema.safeParse(JSON.parse(text));
    return r.success ? r.data : undefined;
  } catch {
    return undefined; // written atomically, so only a hand-edited file is unreadable: start over
  }
}

export async function writeJobState(type: JobType, id: string, state: JobState): Promise<void> {
  await fs.mkdir(paths.jobStates(), { recursive: true, mode: 0o755 });
  await writeFileAtomic(stateFile(type, id), `${JSON.stringify(state)}\n`);
}

export async function removeJobState(type: JobType, id: string): Promise<void> {
  await fs.rm(stateFile(type, id), { force: true });
}

/**
 * The job's state with a `started` run resolved: still running, or finished with its task's
 * end. The finished state is written back (so the next reader need not ask the task log) under
 * the job lock, and only if the file still names that run: a reader never overwrites a run
 * started meanwhile. `locked`: the caller holds the job lock already (it is not reentrant).
 */
export async function currentJobState(
  type: JobType,
  id: string,
  opts: { locked?: boolean } = {},
): Promise<(JobState & { running?: boolean }) | undefined> {
  const s = await readJobState(type, id);
  if (s?.state !== "started") return s;
  if (await isTaskRunning(s.upid)) return { ...s, running: true };
  let finished: JobState;
  try {
    const t = await taskStatus(s.upid);
    if (t.status === "running") return { ...s, running: true };
    finished = { state: "finished", upid: s.upid, time: s.time, skipped: s.skipped, endtime: t.endtime ?? Math.floor(Date.now() / 1000), status: t.exitstatus ?? "unknown" };
  } catch {
    // Its log is gone (or never was): the run ended, nobody knows how.
    finished = { state: "finished", upid: s.upid, time: s.time, skipped: s.skipped, endtime: Math.floor(Date.now() / 1000), status: "unknown" };
  }
  const writeBack = async () => {
    const now = await readJobState(type, id);
    if (now?.state === "started" && now.upid === s.upid) await writeJobState(type, id, finished);
  };
  if (opts.locked) await writeBack();
  else {
    try {
      await withJobLock(type, id, writeBack);
    } catch (err) {
      // A start holds the lock (for a long time only on a very busy machine): the write-back
      // is a cache, the next reader does it.
      if (!(err instanceof CofferError && (err.code === "CONFLICT" || err.code === "TOO_MANY_REQUESTS"))) throw err;
    }
  }
  return finished;
}

/** Records that a job was created now (its schedule counts from here), unless it has a state. */
export async function markCreated(type: JobType, id: string, now = Math.floor(Date.now() / 1000)): Promise<void> {
  await withJobLock(type, id, async () => {
    if (!(await readJobState(type, id))) await writeJobState(type, id, { state: "created", time: now });
  });
}

/**
 * When the job last ran, for its schedule (PBS `last_run_time`): its creation, or the start
 * of its last run. The next run is the schedule's first event after this.
 */
export function lastRunTime(s: JobState): number {
  if (s.state === "created") return s.time;
  return s.time ?? parseUpid(s.upid).starttime;
}

/** A failed run: anything but OK and warnings (PBS counts warnings as success). */
export function isFailedState(s: JobState | undefined): boolean {
  return s?.state === "finished" && s.status !== "OK" && !s.status.startsWith("WARNINGS");
}
