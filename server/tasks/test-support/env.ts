/**
 * Test support for the task tests: a fresh COFFER_HOME per test on tmpfs, the `coffer` CLI as a
 * real child process, and clean-up of every task process a test started (by pid and start
 * time, never by name).
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { isProcessAlive } from "../../platform/process";
import { parseUpid } from "../core/upid";

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, "../../..");
export const bin = path.join(repoRoot, "bin", "coffer");

/** Creates a temporary COFFER_HOME, points the env at it, and returns a clean-up function. */
export async function useTaskHome(): Promise<{ home: string; cleanup: () => Promise<void> }> {
  const base = existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir();
  const home = await mkdtemp(path.join(base, "coffer-tasks-"));
  const saved = process.env.COFFER_HOME;
  process.env.COFFER_HOME = home;
  return {
    home,
    cleanup: async () => {
      await killTasks();
      if (saved === undefined) delete process.env.COFFER_HOME;
      else process.env.COFFER_HOME = saved;
      await rm(home, { recursive: true, force: true });
    },
  };
}

const started = new Set<string>();

/** Remembers a task this test started, so clean-up can kill it if it still runs. */
export function track(upid: string): string {
  started.add(upid);
  return upid;
}

/** SIGKILLs every tracked task process that still runs (pid + start time checked). */
export async function killTasks(): Promise<void> {
  for (const upid of started) {
    const u = parseUpid(upid);
    if (isProcessAlive(u.pid, u.pstart)) process.kill(u.pid, "SIGKILL");
  }
  started.clear();
}

export async function waitUntil(
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = "condition",
  pollMs = 25,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(pollMs);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface CliRun {
  proc: ChildProcessWithoutNullStreams;
  /** Resolves with the first stdout line matching `re` (rejects if the process exits first). */
  line(re: RegExp, timeoutMs?: number): Promise<string>;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** Runs `bin/coffer` with the current COFFER_HOME. */
export function coffer(args: string[]): CliRun {
  const proc = spawn(bin, args, { cwd: os.tmpdir(), env: { ...process.env } });
  let stdout = "";
  let stderr = "";
  const waiters = new Set<() => void>();
  proc.stdout.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
    for (const w of [...waiters]) w();
  });
  proc.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  let exited = false;
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    proc.on("close", (code) => {
      exited = true;
      for (const w of [...waiters]) w();
      resolve({ code, stdout, stderr });
    }),
  );
  const line = (re: RegExp, timeoutMs = 15_000) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`coffer ${args.join(" ")}: no line ${re} within ${timeoutMs} ms; stdout: ${stdout}; stderr: ${stderr}`));
      }, timeoutMs);
      const check = () => {
        const found = stdout.split("\n").find((l) => re.test(l));
        if (found !== undefined || exited) {
          clearTimeout(timer);
          waiters.delete(check);
          if (found !== undefined) resolve(found);
          else reject(new Error(`coffer ${args.join(" ")} exited without a line ${re}; stdout: ${stdout}; stderr: ${stderr}`));
        }
      };
      waiters.add(check);
      check();
    });
  return { proc, line, done };
}
