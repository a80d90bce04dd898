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
 */
import { readdirSync } from "node:fs";
import os from "node:os";

import { CofferError } from "../../datastore/model/errors";

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
}
