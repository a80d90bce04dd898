/**
 * A temporary COFFER_HOME with the demo datastore for a jobs test file (written by the engine
 * through `coffer demo ensure`, on tmpfs when there is one), and waiting for a task's end.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll } from "vitest";
import type { TaskStatus } from "../../tasks";
import { waitForTask as waitUntilStopped } from "../../tasks/test-support/wait-for-task";

const COFFER = path.resolve("bin/coffer");

export function coffer(home: string, ...args: string[]): string {
  return execFileSync(COFFER, args, { env: { ...process.env, COFFER_HOME: home }, encoding: "utf8" });
}

export function useJobsHome(): { home: () => string } {
  let home = "";
  const previous = process.env.COFFER_HOME;
  beforeAll(() => {
    home = mkdtempSync(path.join(existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir(), "coffer-jobs-test-"));
    coffer(home, "demo", "ensure");
    process.env.COFFER_HOME = home;
  }, 120_000);
  afterAll(() => {
    if (previous === undefined) delete process.env.COFFER_HOME;
    else process.env.COFFER_HOME = previous;
    if (home) rmSync(home, { recursive: true, force: true });
  });
  return { home: () => home };
}

/** Until the task has stopped; job runs (a whole verify or prune) get a minute. */
export function waitForTask(upid: string): Promise<TaskStatus> {
  return waitUntilStopped(upid, 60_000);
}
