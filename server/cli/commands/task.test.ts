import { mkdirSync, writeFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { paths } from "../../config/paths";
import { debugGatePath } from "../../tasks/kinds/debug-sleep";
import { isProcessAlive } from "../../platform/process";
import { startTask } from "../../tasks/core/runner";
import { taskStatus } from "../../tasks/core/task-status";
import { parseUpid } from "../../tasks/core/upid";
import { coffer, track, useTaskHome, waitUntil } from "../../tasks/test-support/env";

let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ cleanup } = await useTaskHome());
});
afterEach(() => cleanup());

const UPID_LINE = /^UPID:\S+:$/;

describe("coffer task commands", () => {
  it("runs a task: UPID first, then the log live, exit 0 on success", async () => {
    const r = await coffer(["debug", "task-sleep", "--seconds", "0", "--warn"]).done;
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(UPID_LINE);
    track(lines[0]!);
    // Times are stripped, as proxmox-backup-client prints a task it runs.
    expect(lines.slice(1)).toEqual(["debug-sleep: a warning, as requested", "progress 1 of 1", "TASK WARNINGS: 1"]);
  });

  it("exits non-zero when the task fails; json prints one document with the status", async () => {
    const text = await coffer(["debug", "task-sleep", "--seconds", "0", "--fail"]).done;
    expect(text.code).toBe(1);
    expect(text.stdout.trimEnd().split("\n").at(-1)).toBe("TASK ERROR: debug-sleep failed as requested (--fail)");
    expect(text.stderr).toBe("coffer: task failed (status: debug-sleep failed as requested (--fail))\n");

    const json = await coffer(["debug", "task-sleep", "--seconds", "0", "--fail", "--output-format", "json"]).done;
    expect(json.code).toBe(1);
    const doc = JSON.parse(json.stdout) as { upid: string; status: string };
    expect(doc).toEqual({ upid: expect.stringMatching(UPID_LINE), status: "debug-sleep failed as requested (--fail)" });
  });

  it("lists running tasks, follows one with `task log` to its end, and lists it as finished", async () => {
    // It waits at its gate after 30 steps, however long the two CLI start-ups take.
    const { upid } = await startTask("debug-sleep", { seconds: 3, gate: "listed" });
    track(upid);
    const [table, running] = await Promise.all([coffer(["task", "list"]).done, coffer(["task", "list", "--output-format", "json"]).done]);
    expect(JSON.parse(running.stdout)).toEqual([expect.objectContaining({ upid, worker_type: "debug-sleep", user: "root@pam" })]);
    expect(table.stdout).toMatch(/^start time\s+type\s+id\s+user\s+status\s+upid$/m);
    expect(table.stdout).toContain(`debug-sleep      root@pam  running  ${upid}`);

    const following = coffer(["task", "log", upid]);
    await following.line(/: progress 30 of 30$/);
    mkdirSync(paths.debugGates(), { recursive: true });
    writeFileSync(debugGatePath("listed"), "");
    const log = await following.done;
    expect(log.code).toBe(0);
    const lines = log.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(32);
    expect(lines.at(-3)).toMatch(/^\S+: progress 30 of 30$/);
    expect(lines.at(-2)).toMatch(/^\S+: debug-sleep: waiting for gate 'listed'$/);
    expect(lines.at(-1)).toMatch(/^\S+: TASK OK$/);
    expect(await taskStatus(upid)).toMatchObject({ status: "stopped", exitstatus: "OK" });

    expect((await coffer(["task", "list"]).done).stdout).toContain("(no running tasks");
    const all = await coffer(["task", "list", "--all", "--output-format", "json"]).done;
    expect(JSON.parse(all.stdout)).toEqual([expect.objectContaining({ upid, status: "OK", endtime: expect.any(Number) })]);
  });

  it("stops a task with `task stop`; Ctrl-C on `task log` only stops following", async () => {
    const { upid } = await startTask("debug-sleep", { seconds: 20 });
    track(upid);
    const u = parseUpid(upid);
    const follower = coffer(["task", "log", upid]);
    await follower.line(/: progress 2 of 200$/);
    follower.proc.kill("SIGINT");
    const followed = await follower.done;
    expect(followed.code).toBe(0);
    expect(isProcessAlive(u.pid, u.pstart)).toBe(true);

    const stop = await coffer(["task", "stop", upid]).done;
    expect(stop.stdout).toBe(`abort requested: ${upid}\n`);
    await waitUntil(() => !isProcessAlive(u.pid, u.pstart), 10_000, "the task to end");
    const log = await coffer(["task", "log", upid]).done;
    expect(log.stdout.trimEnd().split("\n").at(-1)).toMatch(/: TASK ERROR: abort requested - aborting task$/);
    expect(log.code).toBe(1);
  });

  it("aborts the task on Ctrl-C when the command says so, and exits non-zero", async () => {
    const run = coffer(["debug", "task-sleep", "--seconds", "20"]);
    const upid = track(await run.line(UPID_LINE));
    await run.line(/^progress 2 of 200$/);
    run.proc.kill("SIGINT");
    const r = await run.done;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("interrupted: aborting the task");
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toContain("received abort request ...");
    expect(lines.at(-1)).toBe("TASK ERROR: abort requested - aborting task");
    expect(await taskStatus(upid)).toMatchObject({ status: "stopped", exitstatus: "abort requested - aborting task" });
  });

  it("explains bad input", async () => {
    const [bad, missing] = await Promise.all([coffer(["task", "log", "UPID:x"]).done, coffer(["debug", "task-sleep"]).done]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe("coffer: unable to parse UPID 'UPID:x'\n");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing option --seconds N");
  });
});
