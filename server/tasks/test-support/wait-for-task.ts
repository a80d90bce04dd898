import { taskStatus, type TaskStatus } from "../core/task-status";

/** Polls a task until it has stopped (its status file is written once, with its last line). */
export async function waitForTask(upid: string, timeoutMs = 20_000): Promise<TaskStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await taskStatus(upid);
    if (status.status === "stopped") return status;
    if (Date.now() > deadline) throw new Error(`task ${upid} still running after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
