import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { selfStartTime } from "../../platform/process";
import { followTaskLog, taskLogLines } from "./follow";
import { startTask, stopTask } from "./runner";
import { rfc3339Local, taskLogPath, type TaskLogLine } from "./task-log";
import { formatUpid } from "./upid";
import { debugGatePath } from "../kinds/debug-sleep";
import { track, useTaskHome, waitUntil } from "../test-support/env";

let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ cleanup } = await useTaskHome());
});
afterEach(() => cleanup());

let counter = 0;
/** A UPID for a hand-written log: of this (live) process, or of a gone one. */
function upid(dead: boolean): string {
  return formatUpid({
    node: "elsa",
    pid: process.pid,
    pstart: selfStartTime() + (dead ? 1 : 0),
    taskId: counter++,
    starttime: Math.floor(Date.now() / 1000),
    workerType: "verify",
    authId: "root@pam",
  });
}

function createLog(u: string, text: string): string {
  const file = taskLogPath(u);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

const rest = (l: TaskLogLine) => l.t.slice(l.t.indexOf(": ") + 2);

/**
 * Follows a new log of a live task that holds the line `first`, polling every `pollMs`: the
 * log's file, the lines seen so far, and `stop` (resolves once the follower has ended).
 */
function followNewLog(pollMs: number) {
  const u = upid(false);
  const file = createLog(u, `${rfc3339Local()}: first\n`);
  const cancel = new AbortController();
  const got: string[] = [];
  const following = (async () => {
    for await (const line of taskLogLines(u, { signal: cancel.signal, pollMs })) got.push(rest(line));
  })();
  const stop = async () => {
    cancel.abort();
    await following;
  };
  return { file, got, stop };
}

describe("following a task log", () => {
  it("streams a running task's lines as they come, to its final line", async () => {
    // The task waits at its gate until this follower has seen the line saying so: if lines were
    // only read at the end, the task would never end and the follow would not return.
    const { upid: u } = await startTask("debug-sleep", { seconds: 0.5, gate: "follow-live" });
    track(u);
    const seen: TaskLogLine[] = [];
    const { ended } = await followTaskLog(u, (line) => {
      seen.push(line);
      if (rest(line).startsWith("debug-sleep: waiting for gate")) {
        mkdirSync(path.dirname(debugGatePath("follow-live")), { recursive: true });
        writeFileSync(debugGatePath("follow-live"), "");
      }
    });
    expect(ended).toBe(true);
    expect(seen.map((l) => l.n)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(seen.map(rest)).toEqual([
      "progress 1 of 5",
      "progress 2 of 5",
      "progress 3 of 5",
      "progress 4 of 5",
      "progress 5 of 5",
      "debug-sleep: waiting for gate 'follow-live'",
      "TASK OK",
    ]);
  });

  it("wakes on an appended line, and ends when cancelled while it waits, never by its poll", async () => {
    // A poll this long never fires within the test: only the change event can deliver the
    // second line, and only the cancel can end the wait that follows it (the test's own time
    // limit is the only clock here).
    const { file, got, stop } = followNewLog(3_600_000);
    const until = (n: number) => waitUntil(() => got.length >= n, 3_600_000, `${n} lines`, 5);
    await until(1);
    appendFileSync(file, `${rfc3339Local()}: second\n`);
    await until(2);
    expect(got).toEqual(["first", "second"]);
    await stop();
    expect(got).toEqual(["first", "second"]);
  });

  it("watches again after each read: every burst of lines wakes it, never only the poll", async () => {
    // A poll this long never fires within the test: only change events can deliver lines.
    const { file, got, stop } = followNewLog(3_600_000);
    // No time limit but the test's: a missed line would wait for the hour-long poll.
    const until = (n: number) => waitUntil(() => got.length >= n, 3_600_000, `${n} lines`, 5);
    await until(1);
    // A burst: its first line drops the watch until the follower has read the burst.
    for (let i = 0; i < 50; i++) appendFileSync(file, `${rfc3339Local()}: burst ${i}\n`);
    await until(51);
    // The watch is back: a line written after the burst wakes the follower too.
    appendFileSync(file, `${rfc3339Local()}: after\n`);
    await until(52);
    await stop();
    expect(got[51]).toBe("after");
  });

  it("ends when the task's process is gone without a final line, including a torn last line", async () => {
    const u = upid(true);
    createLog(u, `${rfc3339Local()}: progress 1 of 9\n${rfc3339Local()}: progr`);
    const lines: TaskLogLine[] = [];
    expect(await followTaskLog(u, (l) => lines.push(l))).toEqual({ ended: true });
    expect(lines.map(rest)).toEqual(["progress 1 of 9", "progr"]);
  });

  it("starts at a given line, and refuses a task that never existed", async () => {
    const u = upid(true);
    createLog(u, ["a", "b", "c", "TASK OK"].map((m) => `${rfc3339Local()}: ${m}\n`).join(""));
    const lines: TaskLogLine[] = [];
    await followTaskLog(u, (l) => lines.push(l), { start: 3 });
    expect(lines.map((l) => [l.n, rest(l)])).toEqual([
      [3, "c"],
      [4, "TASK OK"],
    ]);
    await expect(followTaskLog(upid(true), () => {})).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("says when it has caught up: after each burst of lines, before it waits, and when it ends", async () => {
    const u = upid(false);
    const file = createLog(u, ["a", "b", "c"].map((m) => `${rfc3339Local()}: ${m}\n`).join(""));
    const events: string[] = [];
    const following = followTaskLog(u, (l) => events.push(rest(l)), {
      pollMs: 3_600_000,
      onCaughtUp: () => {
        events.push("|");
        // The next burst only once this one was taken in full: the test waits on nothing else.
        if (events.filter((e) => e === "|").length === 1) appendFileSync(file, ["d", "TASK OK"].map((m) => `${rfc3339Local()}: ${m}\n`).join(""));
      },
    });
    expect(await following).toEqual({ ended: true });
    expect(events).toEqual(["a", "b", "c", "|", "d", "TASK OK", "|"]);
  });

  it("lets a cancelled follower leave the task running", async () => {
    const { upid: u } = await startTask("debug-sleep", { seconds: 20 });
    track(u);
    const stop = new AbortController();
    const { ended } = await followTaskLog(u, () => stop.abort(), { signal: stop.signal });
    expect(ended).toBe(false);
    expect(await stopTask(u)).toEqual({ signalled: true });
  });
});
