/**
 * What a job list shows (PBS's job list items): the job's config with its next run and its
 * last run's task, end and state.
 */
import type { JobConfig } from "./job-config";
import { currentJobState, isFailedState } from "./job-state";
import { nextRun } from "./scheduler";

export type JobStatus = JobConfig & {
  "next-run"?: number;
  "last-run-upid"?: string;
  "last-run-endtime"?: number;
  /** `OK`, `WARNINGS: n`, `unknown` or the error message. */
  "last-run-state"?: string;
  /** The last run failed (an error, or its process died). */
  "last-run-failed"?: boolean;
  /** A run of this job is going on (its task is `last-run-upid`). */
  running?: boolean;
  /** Why the last due run was skipped (maintenance mode), until a run starts. */
  skipped?: string;
};

export async function jobStatus(job: JobConfig, now = Math.floor(Date.now() / 1000)): Promise<JobStatus> {
  const state = await currentJobState(job.type, job.id);
  const out: JobStatus = { ...job };
  const next = nextRun(job, state, now);
  if (next !== undefined) out["next-run"] = next;
  if (state && state.state !== "created") out["last-run-upid"] = state.upid;
  if (state?.state === "started" && state.running) out.running = true;
  if (state?.state === "finished") {
    out["last-run-endtime"] = state.endtime;
    out["last-run-state"] = state.status;
    if (isFailedState(state)) out["last-run-failed"] = true;
  }
  if (state?.skipped) out.skipped = state.skipped;
  return out;
}
