/**
 * Task processes run below the server's CPU priority (nice 10 by default). Each task is its own
 * process beside the server, so on a busy machine a move, GC, verify or backup competes with the
 * console's requests for the same cores; at nice 10 the kernel gives the server about nine
 * tenths of a contended core, and the tasks still get every cycle nobody else wants (issue 12:
 * the console responsive while moves, GC and backups run; docs/benchmarks.md, soak).
 *
 * `COFFER_TASK_NICE` sets another value, 0 to 19; 0 runs tasks at the priority of whoever
 * started them. A process may always lower its own priority, never raise it without privileges,
 * so a task already started nicer than this keeps its priority.
 *
 * Under the kernel's autogroup scheduling (`/proc/sys/kernel/sched_autogroup_enabled`, on by
 * default in most distributions' kernels), a thread's nice value only orders it within its
 * session's autogroup, and autogroups share the CPU equally. A task process is a session of its
 * own (runner.ts starts it detached), so a task at nice 10 still got as much CPU as the whole
 * server: two busy tasks took two thirds of the 2 cores from a busy server. The task therefore
 * sets its autogroup's nice value too (docs/benchmarks.md, soak).
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";

import { CofferError } from "../../datastore/model/errors";
import { isSessionLeader } from "../../platform/process";

export const DEFAULT_TASK_NICE = 10;
export const TASK_NICE_ENV = "COFFER_TASK_NICE";

/** The nice value tasks run at, from the environment; a bad value is an error that says why. */
export function taskNice(env: Record<string, string | undefined> = process.env): number {
  const raw = env[TASK_NICE_ENV];
  if (raw === undefined || raw === "") return DEFAULT_TASK_NICE;
  if (!/^[0-9]{1,2}$/.test(raw) || Number(raw) > 19) {
    throw new CofferError(
      "BAD_REQUEST",
      `${TASK_NICE_ENV} must be a whole number from 0 (the priority of whoever starts the task) to 19 (the lowest), not ${JSON.stringify(raw)}`,
    );
  }
  return Number(raw);
}

/**
 * Lowers this process to `nice`. On Linux the nice value belongs to each thread and new threads
 * inherit their creator's, so every thread that exists already (V8's helpers, libuv's pool) is
 * set too; threads made later (the hashing and verify pools) inherit it.
 */
export function lowerProcessPriority(nice: number): void {
  if (nice === 0) return;
  let threads: number[] = [];
  try {
    threads = readdirSync("/proc/self/task").map(Number).filter(Number.isSafeInteger);
  } catch {
    // No /proc: the calling thread only.
  }
  for (const tid of threads.length > 0 ? threads : [0]) {
    try {
      if (os.getPriority(tid) < nice) os.setPriority(tid, nice);
    } catch {
      // The thread ended meanwhile; lowering is never refused otherwise.
    }
  }
  lowerAutogroupPriority(nice);
}

const AUTOGROUP = "/proc/self/autogroup";

/**
 * Sets the nice value of this process's autogroup (the header says why), only when this process
 * leads its session: otherwise the autogroup is that of whoever started it (a shell, a test
 * runner), which is not ours to lower. Lowering is never refused; without autogroups (the file
 * is missing) there is nothing to do.
 */
function lowerAutogroupPriority(nice: number): void {
  let current: string;
  try {
    current = readFileSync(AUTOGROUP, "utf8"); // "/autogroup-2915 nice 0"
  } catch {
    return;
  }
  const m = / nice (-?\d+)/.exec(current);
  if (!m || Number(m[1]) >= nice || !isSessionLeader()) return;
  try {
    writeFileSync(AUTOGROUP, String(nice));
  } catch {
    // A kernel that refuses still schedules the task at its threads' nice within its group.
  }
}
