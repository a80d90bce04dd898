/**
 * Starting one run of a job, by the scheduler or by hand ("run now"): an ordinary worker task
 * (same UPIDs, logs and abort as any other). Under the job's lock the start checks that no run
 * of the job is going on and that the datastore's maintenance mode allows the job's operation,
 * starts the task and records it as the job's `started` state, so two starts of one job can
 * never both get through.
 */
import { getDatastoreConfig } from "../config/datastore-config";
import { CofferError } from "../datastore/model/errors";
import { checkMaintenance } from "../datastore/model/maintenance";
import type { Operation } from "../datastore/model/types";
import { startTask } from "../tasks";
import type { JobConfig } from "./job-config";
import type { JobType } from "./job-types";
import { currentJobState, withJobLock, writeJobState } from "./job-state";

/** The datastore operation a job's task opens the store for (PBS: GC and prune write, verify reads). */
export const JOB_OPERATION: Record<JobType, Operation> = { gc: "write", prune: "write", verify: "read" };

/** How a run's task is started: the task runner, or a stand-in a test gives. */
export type StartJobTask = (kind: string, args: Record<string, unknown>, authId: string) => Promise<{ upid: string }>;

export const startJobTask: StartJobTask = (kind, args, authId) => startTask(kind, args, { authId });

/** The task kind and arguments that run a job. */
export function jobTask(job: JobConfig): { kind: string; args: Record<string, unknown> } {
  const scope = (j: { ns?: string; "max-depth"?: number }) => ({ ns: j.ns ?? "", ...(j["max-depth"] === undefined ? {} : { "max-depth": j["max-depth"] }) });
  switch (job.type) {
    case "gc":
      return { kind: "garbage_collection", args: { store: job.store } };
    case "prune": {
      const keep = Object.fromEntries(Object.entries(job).filter(([k]) => k.startsWith("keep-")));
      return { kind: "prunejob", args: { id: job.id, store: job.store, ...scope(job), ...keep } };
    }
    case "verify":
      return {
        kind: "verificationjob",
        args: {
          id: job.id,
          store: job.store,
          ...scope(job),
          "ignore-verified": job["ignore-verified"] ?? true,
          ...(job["outdated-after"] === undefined ? {} : { "outdated-after": job["outdated-after"] }),
        },
      };
  }
}

/**
 * Why the datastore's maintenance mode forbids this job now (PBS MaintenanceMode::check for
 * the job's operation), or undefined when it may run.
 */
export async function maintenanceRefusal(job: JobConfig): Promise<string | undefined> {
  const store = await getDatastoreConfig(job.store);
  try {
    checkMaintenance(store["maintenance-mode"], JOB_OPERATION[job.type]);
    return undefined;
  } catch (err) {
    return `datastore '${job.store}' is unavailable: ${(err as Error).message}`;
  }
}

export interface StartJobOptions {
  /** The scheduler's clock (epoch seconds): the run counts from this for the schedule. */
  now?: number;
  authId?: string;
  start?: StartJobTask;
}

/**
 * Starts a run of `job`. CONFLICT when a run of it is still going on, PRECONDITION_FAILED when
 * the maintenance mode forbids it; nothing is started then. Takes the job lock (10 s).
 */
export async function startJob(job: JobConfig, opts: StartJobOptions = {}): Promise<{ upid: string }> {
  return withJobLock(job.type, job.id, async () => {
    const state = await currentJobState(job.type, job.id, { locked: true });
    if (state?.state === "started" && state.running) {
      throw new CofferError("CONFLICT", `${job.type} job '${job.id}' is already running as task ${state.upid}`);
    }
    const refusal = await maintenanceRefusal(job);
    if (refusal) throw new CofferError("PRECONDITION_FAILED", refusal);
    const { kind, args } = jobTask(job);
    const { upid } = await (opts.start ?? startJobTask)(kind, args, opts.authId ?? "root@pam");
    await writeJobState(job.type, job.id, { state: "started", upid, time: opts.now ?? Math.floor(Date.now() / 1000) });
    return { upid };
  });
}
