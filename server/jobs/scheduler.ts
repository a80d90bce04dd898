/**
 * The job scheduler (PBS proxmox-backup-proxy's schedule_tasks): once a minute it looks at
 * every enabled job with a schedule and starts those that are due as ordinary worker tasks.
 * A job is due when the schedule's first event after its last run (or its creation) has come
 * (PBS check_schedule), so after downtime a job that missed several events runs once, not once
 * per missed event. A job still running is not started again; a job whose datastore's
 * maintenance mode forbids its operation is skipped with the reason logged and recorded, and
 * runs at the first tick after the mode allows it.
 *
 * The same pass notices runs that ended in failure and posts the notice to the webhook, once
 * per run. `runDueJobs` is one pass with an injected clock (tests); `startScheduler` runs it in
 * the console's server process.
 */
import { errorMessage } from "../datastore/model/errors";
import { computeNextEvent, parseCalendarEvent } from "./calendar-event";
import { listJobs, type JobConfig } from "./job-config";
import { WORKER_TYPE } from "./job-types";
import { maintenanceRefusal, startJob, type StartJobTask } from "./job-run";
import { currentJobState, isFailedState, lastRunTime, markCreated, withJobLock, writeJobState, type JobState } from "./job-state";
import { postNotice, readNotifyConfig } from "./notify";

export interface TickOptions {
  /** Epoch seconds; the real clock by default. */
  now?: number;
  start?: StartJobTask;
  log?: (line: string) => void;
}

export type TickOutcome =
  | { job: JobConfig; action: "started"; upid: string }
  | { job: JobConfig; action: "running"; upid: string }
  | { job: JobConfig; action: "skipped"; reason: string }
  | { job: JobConfig; action: "error"; reason: string };

const jobName = (j: JobConfig) => `${j.type} job '${j.id}'${j.type === "gc" ? "" : ` of datastore '${j.store}'`}`;

/** When the job runs next (epoch seconds); undefined without a schedule or when it never will. */
export function nextRun(job: JobConfig, state: JobState | undefined, now: number): number | undefined {
  if (!job.schedule || ("disable" in job && job.disable)) return undefined;
  return computeNextEvent(parseCalendarEvent(job.schedule), state ? lastRunTime(state) : now);
}

/**
 * One scheduler pass at `now`: starts every due job, and reports what it did for each job that
 * was due or running. A job seen for the first time gets its `created` state (its schedule
 * counts from now, as PBS counts from a new job's creation).
 */
export async function runDueJobs(opts: TickOptions = {}): Promise<TickOutcome[]> {
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  const log = opts.log ?? ((line: string) => console.log(`coffer scheduler: ${line}`));
  const out: TickOutcome[] = [];
  let jobs: JobConfig[];
  try {
    jobs = await listJobs();
  } catch (err) {
    log(`unable to read the job configuration - ${errorMessage(err)}`);
    return out;
  }
  for (const job of jobs) {
    try {
      const outcome = await tickJob(job, now, opts.start, log);
      if (outcome) out.push(outcome);
    } catch (err) {
      log(`${jobName(job)}: ${errorMessage(err)}`);
      out.push({ job, action: "error", reason: errorMessage(err) });
    }
  }
  return out;
}

async function tickJob(job: JobConfig, now: number, start: StartJobTask | undefined, log: (line: string) => void): Promise<TickOutcome | undefined> {
  let state = await currentJobState(job.type, job.id);
  if (!state) {
    // A job configured by hand, or before its state was kept: its schedule counts from now.
    await markCreated(job.type, job.id, now);
    state = await currentJobState(job.type, job.id);
    if (!state) return undefined;
  }
  if (state.state === "finished") await notifyOnce(job, state, log);
  if (state.state === "started" && state.running) return { job, action: "running", upid: state.upid };
  const next = nextRun(job, state, now);
  if (next === undefined || next > now) return undefined;

  const refusal = await maintenanceRefusal(job);
  if (refusal) {
    const reason = `skipping ${jobName(job)}: ${refusal}`;
    // Logged and recorded once per reason, not once a minute for as long as the mode stays.
    if (!("skipped" in state) || state.skipped !== reason) {
      log(reason);
      await withJobLock(job.type, job.id, async () => {
        const fresh = await currentJobState(job.type, job.id, { locked: true });
        if (fresh && !(fresh.state === "started" && fresh.running)) await writeJobState(job.type, job.id, { ...stripRunning(fresh), skipped: reason });
      });
    }
    return { job, action: "skipped", reason };
  }
  try {
    const { upid } = await startJob(job, { now, start });
    log(`started ${jobName(job)} as ${WORKER_TYPE[job.type]} task ${upid}`);
    return { job, action: "started", upid };
  } catch (err) {
    const reason = errorMessage(err);
    log(`unable to start ${jobName(job)} - ${reason}`);
    return { job, action: "error", reason };
  }
}

function stripRunning(s: JobState & { running?: boolean }): JobState {
  const { running: _r, ...rest } = s;
  return rest as JobState;
}

/** Posts a failed run to the webhook once; a run that did not fail, or no webhook, needs nothing. */
async function notifyOnce(job: JobConfig, state: Extract<JobState, { state: "finished" }>, log: (line: string) => void): Promise<void> {
  if (state.notified || !isFailedState(state)) return;
  const { webhook } = await readNotifyConfig();
  if (webhook) {
    try {
      await postNotice(webhook, {
        event: "job-failed",
        "job-type": job.type,
        "job-id": job.id,
        store: job.store,
        upid: state.upid,
        status: state.status,
        endtime: state.endtime,
      });
    } catch (err) {
      // Tried again at the next pass: the run stays un-notified.
      log(`unable to send the failure notice of ${jobName(job)} to the webhook - ${errorMessage(err)}`);
      return;
    }
  }
  await withJobLock(job.type, job.id, async () => {
    const fresh = await currentJobState(job.type, job.id, { locked: true });
    if (fresh?.state === "finished" && fresh.upid === state.upid) await writeJobState(job.type, job.id, { ...fresh, notified: true });
  });
}

const scheduler: { timer?: ReturnType<typeof setTimeout>; running?: boolean } = {};

/**
 * Runs a pass at the start of every minute (as PBS) for as long as the process lives; the
 * timer is unref'd. Idempotent: a second call in the same process does nothing.
 */
export function startScheduler(): void {
  if (scheduler.timer) return;
  const schedule = () => {
    const ms = 60_000 - (Date.now() % 60_000);
    scheduler.timer = setTimeout(tick, ms);
    scheduler.timer.unref?.();
  };
  const tick = () => {
    // A pass that takes longer than a minute is not overlapped by the next.
    if (!scheduler.running) {
      scheduler.running = true;
      void runDueJobs()
        .catch((err) => console.error(`coffer scheduler: ${errorMessage(err)}`))
        .finally(() => (scheduler.running = false));
    }
    schedule();
  };
  schedule();
}

export function stopScheduler(): void {
  if (scheduler.timer) clearTimeout(scheduler.timer);
  scheduler.timer = undefined;
}
