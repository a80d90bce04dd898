import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { isProcessAlive } from "../../platform/process";
import { followTaskLog } from "./follow";
import { spawnTaskProcess, startTask, stopTask } from "./runner";
import { readTaskLog, taskLogPath } from "./task-log";
import { listTasks } from "./task-list";
import { taskStatus } from "./task-status";
import { formatUpid, parseUpid } from "./upid";
import { repoRoot, track, useTaskHome, waitUntil } from "../test-support/env";

let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ cleanup } = await useTaskHome());
});
afterEach(() => cleanup());

const lastLine = (upid: string) => readFileSync(taskLogPath(upid), "utf8").trimEnd().split("\n").at(-1)!;
const hasLine = async (upid: string, re: RegExp) => (await readTaskLog(upid, { limit: 0 })).lines.some((l) => re.test(l.t));

describe("worker tasks in their own process", () => {
  it("runs a task in a detached process: listed as running, stopped on request, archived with the abort error", async () => {
    const { upid } = await startTask("debug-sleep", { seconds: 20 });
    track(upid);
    const u = parseUpid(upid);
    expect(u.workerType).toBe("debug-sleep");
    expect(u.authId).toBe("root@pam");
    expect(u.pid).not.toBe(process.pid);
    expect(isProcessAlive(u.pid, u.pstart)).toBe(true);

    expect((await listTasks({ running: true })).data.map((t) => t.upid)).toEqual([upid]);
    expect(await taskStatus(upid)).toMatchObject({ status: "running", type: "debug-sleep", user: "root@pam" });
    await waitUntil(() => hasLine(upid, /: progress 2 of 200$/), 10_000, "progress 2");

    expect(await stopTask(upid)).toEqual({ signalled: true });
    await waitUntil(() => !isProcessAlive(u.pid, u.pstart), 10_000, "the task process to exit");

    expect(lastLine(upid)).toMatch(/^\S+: TASK ERROR: abort requested - aborting task$/);
    expect((await readTaskLog(upid, { limit: 0 })).lines.filter((l) => l.t.endsWith(": received abort request ..."))).toHaveLength(1);
    expect(await taskStatus(upid)).toMatchObject({ status: "stopped", exitstatus: "abort requested - aborting task" });
    expect((await listTasks({ running: true })).data).toEqual([]);
    expect((await listTasks()).data).toEqual([expect.objectContaining({ upid, status: "abort requested - aborting task" })]);
    expect(await stopTask(upid)).toEqual({ signalled: false });
  });

  it("shows a task killed with SIGKILL as stopped with status unknown, never running", async () => {
    const { upid } = await startTask("debug-sleep", { seconds: 20 });
    track(upid);
    const u = parseUpid(upid);
    await waitUntil(() => hasLine(upid, /: progress 1 of 200$/), 10_000, "progress 1");
    process.kill(u.pid, "SIGKILL");
    await waitUntil(() => !isProcessAlive(u.pid, u.pstart), 10_000, "the task process to die");

    expect(lastLine(upid)).not.toMatch(/TASK /);
    const st = await taskStatus(upid);
    expect(st).toMatchObject({ status: "stopped", exitstatus: "unknown" });
    expect(st.endtime).toBeGreaterThanOrEqual(u.starttime);
    expect((await listTasks({ running: true })).data).toEqual([]);
    expect((await listTasks()).data).toEqual([expect.objectContaining({ upid, status: "unknown" })]);
  });

  it("ends OK or with warnings, and carries an escaped worker id through the UPID", async () => {
    const { upid } = await startTask("debug-sleep", { seconds: 0.2, warn: true, id: "store1:a/vm/100:b" });
    track(upid);
    expect(upid).toContain(":debug-sleep:store1\\x3aa-vm-100\\x3ab:root@pam:");
    const { ended } = await followTaskLog(upid, () => {});
    expect(ended).toBe(true);
    await waitUntil(async () => (await taskStatus(upid)).status === "stopped", 10_000, "the task to stop");
    expect(await taskStatus(upid)).toMatchObject({ id: "store1:a/vm/100:b", exitstatus: "WARNINGS: 1" });
    expect(lastLine(upid)).toMatch(/: TASK WARNINGS: 1$/);
  });

  it("takes the auth id from the starter", async () => {
    const { upid } = await startTask("debug-sleep", { seconds: 0 }, { authId: "admin@pbs!ci" });
    track(upid);
    expect(parseUpid(upid).authId).toBe("admin@pbs!ci");
    await followTaskLog(upid, () => {});
    expect(await taskStatus(upid)).toMatchObject({ user: "admin@pbs", tokenid: "ci" });
  });

  it("rejects bad arguments at once, and with the task process's own error when it refuses them", async () => {
    await expect(startTask("debug-sleep", { seconds: -1 })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/^invalid arguments for task kind 'debug-sleep': seconds: /),
    });
    await expect(startTask("no-such-kind", {})).rejects.toThrow(
      /^unknown task kind 'no-such-kind'; known kinds: (?=.*\bdebug-sleep\b)(?=.*\bmove-namespace\b)[a-z0-9_, -]+$/,
    );
    // Past the starter's check: the task process refuses them itself, before it has a UPID.
    await expect(spawnTaskProcess("debug-sleep", { seconds: "ten" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/^invalid arguments for task kind 'debug-sleep': seconds: /),
    });
    await expect(startTask("debug-sleep", { seconds: 0 }, { authId: "bad id" })).rejects.toThrow("illegal characters in auth id 'bad id'");
    await expect(spawnTaskProcess("debug-sleep", { seconds: 0 }, { authId: "bad id" })).rejects.toThrow("illegal characters in auth id 'bad id'");
    expect((await listTasks({ limit: 0 })).data).toEqual([]);
  });

  it("rejects with the process's own output when it dies before announcing a UPID", async () => {
    // /bin/sh as the `coffer` script: it fails on `task` (no such file) and says so on stderr.
    process.env.COFFER_BIN = "/bin/sh";
    try {
      await expect(spawnTaskProcess("debug-sleep", { seconds: 0 })).rejects.toThrow(
        /^task process for 'debug-sleep' exited \(code 2\) before announcing its UPID; its output: .*task/,
      );
    } finally {
      delete process.env.COFFER_BIN;
    }
  });

  it("never signals a process for a UPID it did not start", async () => {
    const ours = parseUpid((await startTask("debug-sleep", { seconds: 0 })).upid);
    track(formatUpid(ours));
    // This very process, named in a made-up UPID: there is no such task, so no signal.
    const madeUp = formatUpid({ ...ours, pid: process.pid, taskId: 7 });
    await expect(stopTask(madeUp)).rejects.toMatchObject({ code: "NOT_FOUND", message: `no such task '${madeUp}'` });
    await expect(stopTask("UPID:nope")).rejects.toThrow("unable to parse UPID 'UPID:nope'");
  });

  it("ends a task whose code throws from a timer with 'worker panicked'", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(repoRoot, "server/tasks/test-support/crash-task.ts")], {
      cwd: repoRoot,
      env: { ...process.env },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code).toBe(1);
    const { upid } = JSON.parse(out.split("\n")[0]!) as { upid: string };
    expect(lastLine(upid)).toMatch(/: TASK ERROR: worker panicked: boom from a timer$/);
    expect((await listTasks()).data).toEqual([expect.objectContaining({ upid, status: "worker panicked: boom from a timer" })]);
  });
});
