import { existsSync, readdirSync, readFileSync } from "node:fs";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { startTask, stopTask } from "./runner";
import { taskNice, TASK_NICE_ENV } from "./task-priority";
import { parseUpid } from "./upid";
import { track, useTaskHome } from "../test-support/env";

let cleanup: () => Promise<void>;
let saved: string | undefined;
beforeEach(async () => {
  ({ cleanup } = await useTaskHome());
  saved = process.env[TASK_NICE_ENV];
});
afterEach(async () => {
  if (saved === undefined) delete process.env[TASK_NICE_ENV];
  else process.env[TASK_NICE_ENV] = saved;
  await cleanup();
});

const autogroups = existsSync("/proc/self/autogroup");
const ownAutogroup = autogroups ? readFileSync("/proc/self/autogroup", "utf8") : "";

/** The nice value of every thread of `pid` (field 19 of /proc/<pid>/task/<tid>/stat). */
function threadNices(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const text = readFileSync(`/proc/${pid}/task/${tid}/stat`, "latin1");
    return Number(text.slice(text.lastIndexOf(")") + 2).split(" ")[19 - 3]);
  });
}

describe("task process priority", () => {
  it("runs every thread of a task process at nice 10 unless COFFER_TASK_NICE says otherwise", async () => {
    for (const [value, expected] of [[undefined, 10], ["3", 3]] as const) {
      if (value === undefined) delete process.env[TASK_NICE_ENV];
      else process.env[TASK_NICE_ENV] = value;
      // The UPID is announced only after the priority was set, so the threads are checked here.
      const { upid } = await startTask("debug-sleep", { seconds: 20 });
      track(upid);
      const pid = parseUpid(upid).pid;
      const nices = threadNices(pid);
      expect(nices.length).toBeGreaterThan(1);
      expect(new Set(nices)).toEqual(new Set([expected]));
      // With autogroup scheduling, the task's own session group is lowered as well; the test
      // runner's group (a different session) is left alone.
      if (autogroups) {
        expect(readFileSync(`/proc/${pid}/autogroup`, "utf8")).toMatch(new RegExp(` nice ${expected}\n?$`));
        expect(readFileSync("/proc/self/autogroup", "utf8")).toBe(ownAutogroup);
      }
      await stopTask(upid);
    }
  });

  it("refuses a bad COFFER_TASK_NICE with a message that names the allowed range, and starts nothing", async () => {
    process.env[TASK_NICE_ENV] = "-5";
    await expect(startTask("debug-sleep", { seconds: 20 })).rejects.toThrow(
      'COFFER_TASK_NICE must be a whole number from 0 (the priority of whoever starts the task) to 19 (the lowest), not "-5"',
    );
    expect(() => taskNice({ [TASK_NICE_ENV]: "20" })).toThrow(/not "20"/);
    expect(() => taskNice({ [TASK_NICE_ENV]: "ten" })).toThrow(/not "ten"/);
    expect(taskNice({ [TASK_NICE_ENV]: "0" })).toBe(0);
    expect(taskNice({})).toBe(10);
  });
});
