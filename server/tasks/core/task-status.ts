/**
 * The status of one task, as PBS's `GET /nodes/{node}/tasks/{upid}/status` returns it
 * (pbs-api-ui.md 2.6).
 */
import { isProcessAlive } from "../../platform/process";
import { readTaskEnd } from "./task-log";
import { taskStateText, type TaskState } from "./task-state";
import { taskDescription, taskOutcome, type TaskOutcome } from "./task-presentation";
import { parseUpid, splitAuthId } from "./upid";

export interface TaskStatus {
  upid: string;
  node: string;
  pid: number;
  pstart: number;
  starttime: number;
  type: string;
  id?: string;
  /** The user part of the auth id. */
  user: string;
  tokenid?: string;
  status: "running" | "stopped";
  /** `OK`, `WARNINGS: n`, `unknown` or the error message; only once stopped. */
  exitstatus?: string;
  endtime?: number;
  /** The parsed end state; only once stopped. */
  state?: TaskState;
  /** Coffer's addition: the task in a sentence. */
  description: string;
  /** Coffer's addition: how it ended (or `Running`), in plain words. */
  outcome: TaskOutcome;
}

/**
 * Running while the task's process lives (pid + start time) and its log has no final line; a
 * process that died without one is stopped with status `unknown`. Throws BAD_REQUEST for a
 * malformed UPID and NOT_FOUND when no such task was ever started here.
 */
/** How long a gone process's log gets to show its final line before the task is `unknown`. */
export const FINAL_LINE_GRACE_MS = 250;

export async function taskStatus(upid: string): Promise<TaskStatus> {
  const u = parseUpid(upid);
  let { state, final } = await readTaskEnd(upid);
  let stopped = final;
  if (!final && !isProcessAlive(u.pid, u.pstart)) {
    // Read again: it may have written its final line and exited after the first read. A
    // process can also look gone a moment before its last write is visible (its main thread
    // is reported a zombie while the process exits), so a missing final line gets one more
    // look after a short pause before the task is called `unknown`.
    ({ state, final } = await readTaskEnd(upid));
    if (!final) {
      await new Promise((r) => setTimeout(r, FINAL_LINE_GRACE_MS));
      ({ state } = await readTaskEnd(upid));
    }
    stopped = true;
  }
  const { user, tokenid } = splitAuthId(u.authId);
  const out: TaskStatus = {
    upid,
    node: u.node,
    pid: u.pid,
    pstart: u.pstart,
    starttime: u.starttime,
    type: u.workerType,
    user,
    status: "running",
    description: taskDescription(u.workerType, u.workerId),
    outcome: taskOutcome({ status: "running" }),
  };
  if (u.workerId !== undefined) out.id = u.workerId;
  if (tokenid !== undefined) out.tokenid = tokenid;
  if (stopped) {
    out.status = "stopped";
    out.exitstatus = taskStateText(state);
    out.endtime = state.endtime;
    out.state = state;
    out.outcome = taskOutcome({ status: "stopped", exitstatus: out.exitstatus });
  }
  return out;
}

/** True while the task runs (see taskStatus). */
export async function isTaskRunning(upid: string): Promise<boolean> {
  return (await taskStatus(upid)).status === "running";
}
