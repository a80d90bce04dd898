/**
 * What the console shows of a store's jobs: the last garbage collection (PBS GET /gc,
 * GarbageCollectionJobStatus) and the last verification, from `.gc-status` and the task lists.
 * Shared by the gc and datastore routers.
 */
import { emptyGcStatus, readGcStatus, type GcStatus } from "../datastore";
import { type ReadHandle } from "../datastore";
import { listTasks, taskStatus, type TaskListItem, type TaskOutcome } from "../tasks";
import { parseTaskState, type TaskStateType } from "../tasks/core/task-state";

export interface GcJobStatus extends GcStatus {
  store: string;
  "last-run-endtime"?: number;
  /** `OK`, `WARNINGS: n`, the error text. */
  "last-run-state"?: string;
  /** The UPID of a garbage collection running right now. */
  running?: string;
  /** When that one started (epoch seconds). */
  "running-since"?: number;
  /** The last run's end in plain words. */
  "last-run-outcome"?: TaskOutcome;
}

/** The running `garbage_collection` task of `store`, if any. */
export async function runningGc(store: string): Promise<TaskListItem | undefined> {
  const { data } = await listTasks({ running: true, typefilter: "garbage_collection", store, limit: 0 });
  return data.find((t) => t.worker_type === "garbage_collection" && t.worker_id === store);
}

/** PBS GarbageCollectionJobStatus: the last run's counters (zero when none ran) and its outcome. */
export async function gcJobStatus(store: string, ds: ReadHandle): Promise<GcJobStatus> {
  const last = await readGcStatus(ds);
  const { "cache-stats": _cache, ...counters } = last ?? emptyGcStatus(null);
  const out: GcJobStatus = { store, ...counters };
  if (last?.upid) {
    try {
      const s = await taskStatus(last.upid);
      if (s.status === "stopped") {
        out["last-run-endtime"] = s.endtime;
        out["last-run-state"] = s.exitstatus;
        out["last-run-outcome"] = s.outcome;
      }
    } catch {
      // The task log was cleaned up; the counters still stand.
    }
  }
  const running = await runningGc(store);
  if (running) {
    out.running = running.upid;
    out["running-since"] = running.starttime;
  }
  return out;
}

export interface LastTask {
  upid: string;
  state: TaskStateType;
  /** `OK`, `WARNINGS: n` or the error text. */
  status: string;
  endtime: number;
  /** How it ended, in plain words. */
  outcome: TaskOutcome;
}

/** The newest finished verify task (`verify`, `verify_group`, `verify_snapshot`) of `store`. */
export async function lastVerify(store: string): Promise<LastTask | undefined> {
  const { data } = await listTasks({ store, typefilter: "verify", limit: 200 });
  const done = data.find((t) => t.endtime !== undefined && t.status !== undefined);
  if (!done) return undefined;
  return {
    upid: done.upid,
    state: parseTaskState(done.status!, done.endtime!).state,
    status: done.status!,
    endtime: done.endtime!,
    outcome: done.outcome,
  };
}
