import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { paths } from "../../config/paths";
import { selfStartTime } from "../../platform/process";
import { addActiveTask, formatTaskListLine, listTasks, parseTaskListLine, taskMatchesStore, updateActiveTasks } from "./task-list";
import { taskLogPath } from "./task-log";
import { formatUpid, parseUpid, type Upid } from "./upid";
import { useTaskHome } from "../test-support/env";

let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ cleanup } = await useTaskHome());
});
afterEach(() => cleanup());

let counter = 0;
/** A UPID of this (live) process, or, with `dead`, of a process that no longer exists. */
function upid(over: Partial<Upid> & { dead?: boolean } = {}): string {
  const { dead, ...rest } = over;
  return formatUpid({
    node: "elsa",
    pid: process.pid,
    // Same pid, another start time: the pid+pstart check says the process is gone.
    pstart: selfStartTime() + (dead ? 1 : 0),
    taskId: counter++,
    starttime: 1_600_000_000 + counter,
    workerType: "verify",
    workerId: "store1",
    authId: "root@pam",
    ...rest,
  });
}

function writeLog(u: string, lines: string[]): void {
  const file = taskLogPath(u);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, lines.map((l) => `${l}\n`).join(""));
}

const read = (name: string) => readFileSync(path.join(paths.tasks(), name), "utf8");
const stamp = (epoch: number) => new Date(epoch * 1000).toISOString().replace(".000Z", "+00:00");

describe("task lists", () => {
  it("formats and parses active/archive lines as PBS does", () => {
    const u = "UPID:elsa:00004F37:0039E469:00000000:5CA78B83:garbage_collection::root@pam:";
    expect(formatTaskListLine({ upid: u })).toBe(u);
    expect(formatTaskListLine({ upid: u, state: { state: "ok", endtime: 0x5ca78b8c } })).toBe(`${u} 5CA78B8C OK`);
    expect(formatTaskListLine({ upid: u, state: { state: "warning", count: 2, endtime: 0x5ca78b8c } })).toBe(`${u} 5CA78B8C WARNINGS: 2`);
    expect(formatTaskListLine({ upid: u, state: { state: "error", message: "lock held: by pid 4", endtime: 1 } })).toBe(`${u} 00000001 lock held: by pid 4`);
    expect(formatTaskListLine({ upid: u, state: { state: "unknown", endtime: 1 } })).toBe(`${u} 00000001 unknown`);

    expect(parseTaskListLine(u)).toMatchObject({ upid: u });
    expect(parseTaskListLine(u).state).toBeUndefined();
    expect(parseTaskListLine(`${u} 5CA78B8C WARNINGS: 2`).state).toEqual({ state: "warning", count: 2, endtime: 0x5ca78b8c });
    expect(parseTaskListLine(`${u} 5CA78B8C ERROR: a b c`).state).toEqual({ state: "error", message: "a b c", endtime: 0x5ca78b8c });
    expect(() => parseTaskListLine(`${u} 5CA78B8C`)).toThrow(/malformed task list line/);
  });

  it("moves finished and dead tasks from active to archive, reading their state from the log", async () => {
    const running = upid({ workerType: "move-group", workerId: "store1:a:vm/100" });
    const diedOk = upid({ dead: true });
    const killed = upid({ dead: true });
    const noLog = upid({ dead: true });
    const finishing = upid();
    writeLog(diedOk, [`${stamp(1_650_000_100)}: x`, `${stamp(1_650_000_100)}: TASK OK`]);
    writeLog(killed, [`${stamp(1_650_000_050)}: progress 3 of 9`]);
    for (const u of [running, diedOk, killed, noLog, finishing]) await addActiveTask(u);
    expect(read("active").trimEnd().split("\n")).toHaveLength(5);

    const before = Math.floor(Date.now() / 1000);
    const still = await updateActiveTasks({ upid: finishing, state: { state: "error", message: "abort requested - aborting task", endtime: 1_650_000_200 } });
    expect(still.map((e) => e.upid)).toEqual([running]);
    expect(read("active")).toBe(`${running}\n`);

    const archive = read("archive").trimEnd().split("\n");
    // Sorted by end time within the batch; the log-less one ends "now" as unknown.
    expect(archive[0]).toBe(`${killed} 625900B2 unknown`);
    expect(archive[1]).toBe(`${diedOk} 625900E4 OK`);
    expect(archive[2]).toBe(`${finishing} 62590148 abort requested - aborting task`);
    const [u, end, status] = archive[3]!.split(" ");
    expect([u, status]).toEqual([noLog, "unknown"]);
    expect(parseInt(end!, 16)).toBeGreaterThanOrEqual(before);
  });

  it("lists running tasks first, then finished ones newest-finished first, with PBS's filters", async () => {
    const run1 = upid({ workerType: "garbage_collection", workerId: "store1" });
    const run2 = upid({ workerType: "verify", workerId: "store2", authId: "admin@pbs" });
    const okOld = upid({ dead: true, workerType: "prune", workerId: "store1:vm/100" });
    const failedNew = upid({ dead: true, workerType: "move-namespace", workerId: "store1:a:b" });
    const warned = upid({ dead: true, workerType: "verify", workerId: "store2" });
    writeLog(okOld, [`${stamp(1_650_000_010)}: TASK OK`]);
    writeLog(warned, [`${stamp(1_650_000_020)}: TASK WARNINGS: 2`]);
    writeLog(failedNew, [`${stamp(1_650_000_030)}: TASK ERROR: boom`]);
    for (const u of [run1, run2, okOld, warned, failedNew]) await addActiveTask(u);

    const all = await listTasks({ limit: 0 });
    // Running: newest start first (run2 started after run1).
    expect(all.data.map((t) => t.upid)).toEqual([run2, run1, failedNew, warned, okOld]);
    expect(all.total).toBe(5);
    expect(all.data[0]).toEqual({
      upid: run2,
      node: "elsa",
      pid: process.pid,
      pstart: selfStartTime(),
      starttime: parseUpid(run2).starttime,
      worker_type: "verify",
      worker_id: "store2",
      user: "admin@pbs",
      description: "Verify (store2)",
      outcome: { label: "Running", tone: "running" },
    });
    expect(all.data[2]).toMatchObject({
      worker_type: "move-namespace",
      endtime: 1_650_000_030,
      status: "boom",
      outcome: { tone: "danger" },
    });

    const ids = async (o: Parameters<typeof listTasks>[0]) => (await listTasks(o)).data.map((t) => t.upid);
    expect(await ids({ running: true })).toEqual([run2, run1]);
    expect(await ids({ errors: true, limit: 0 })).toEqual([run2, run1, failedNew, warned]);
    expect(await ids({ typefilter: "verif" })).toEqual([run2, warned]);
    expect(await ids({ userfilter: "admin" })).toEqual([run2]);
    expect(await ids({ statusfilter: ["warning", "error"] })).toEqual([failedNew, warned]);
    expect(await ids({ store: "store1" })).toEqual([run1, failedNew, okOld]);
    expect(await ids({ since: parseUpid(failedNew).starttime })).toEqual([failedNew, warned]);
    expect(await ids({ until: parseUpid(run1).starttime })).toEqual([run1]);

    // Paging: total is start + returned (+1 when the page is full).
    expect(await listTasks({ start: 1, limit: 2 })).toMatchObject({ total: 4 });
    expect(await ids({ start: 1, limit: 2 })).toEqual([run1, failedNew]);
    expect((await listTasks({ start: 4, limit: 2 })).total).toBe(5);
  });

  it("lists the archive the same way every time, and sees what was archived since the last listing", async () => {
    const first = upid({ dead: true });
    const second = upid({ dead: true });
    writeLog(first, [`${stamp(1_650_000_010)}: TASK OK`]);
    writeLog(second, [`${stamp(1_650_000_020)}: TASK OK`]);
    for (const u of [first, second]) await addActiveTask(u);
    await updateActiveTasks();
    expect(read("active")).toBe("");

    const ids = async () => (await listTasks({ limit: 0 })).data.map((t) => t.upid);
    // The archive's parsed lines are kept between listings: no listing may change them for the next.
    expect(await ids()).toEqual([second, first]);
    expect(await ids()).toEqual([second, first]);
    expect(await ids()).toEqual([second, first]);

    const third = upid({ dead: true });
    writeLog(third, [`${stamp(1_650_000_030)}: TASK OK`]);
    await addActiveTask(third);
    await updateActiveTasks();
    expect(await ids()).toEqual([third, second, first]);
    expect(await listTasks({ running: true })).toEqual({ data: [], total: 0 });
  });

  it("sees a live task's final line as soon as it is written, though an unchanged log is not read again", async () => {
    const u = upid({ workerType: "garbage_collection" });
    writeLog(u, [`${stamp(1_650_000_000)}: starting garbage collection`]);
    await addActiveTask(u);
    const status = async () => (await listTasks({ limit: 0 })).data.find((t) => t.upid === u)?.status;
    expect(await status()).toBeUndefined(); // running
    expect(await status()).toBeUndefined();

    // The process still runs (it is this one), but its log says it is done.
    appendFileSync(taskLogPath(u), `${stamp(1_650_000_040)}: TASK OK\n`);
    expect(await status()).toBe("OK");
    expect((await listTasks({ running: true })).data.map((t) => t.upid)).not.toContain(u);
  });

  it("matches a datastore's own tasks only, for the store filter", () => {
    const t = (workerType: string, workerId?: string) => parseUpid(upid({ workerType, workerId }));
    expect(taskMatchesStore(t("garbage_collection", "s1"), "s1")).toBe(true);
    expect(taskMatchesStore(t("garbage_collection", "s10"), "s1")).toBe(false);
    expect(taskMatchesStore(t("verificationjob", "s1:job"), "s1")).toBe(true);
    expect(taskMatchesStore(t("move-group", "s1:a:vm/100"), "s1")).toBe(true);
    expect(taskMatchesStore(t("debug-sleep", "s1"), "s1")).toBe(false);
    expect(taskMatchesStore(t("prune"), "s1")).toBe(false);
  });
  it("lists without the list lock: a killed task shows as ended while another process holds the lock, once", async () => {
    const running = upid();
    const killed = upid({ dead: true });
    const ending = upid();
    writeLog(killed, [`${stamp(1_650_000_050)}: TASK OK`]);
    for (const u of [running, killed, ending]) await addActiveTask(u);
    // `ending` is half-way through updateActiveTasks: in the archive already, not yet out of active.
    writeFileSync(path.join(paths.tasks(), "archive"), `${formatTaskListLine({ upid: ending, state: { state: "ok", endtime: 1_650_000_060 } })}\n`);
    // A task that starts or ends holds the lock for as long as it likes; listing must not wait.
    const { lockNamed } = await import("../../platform/file-lock");
    const guard = await lockNamed(path.join(paths.tasks(), ".active.lock"));
    try {
      const { data } = await listTasks({ limit: 0 });
      expect(data.map((t) => [t.upid, t.status])).toEqual([
        [running, undefined],
        [ending, "OK"],
        [killed, "OK"],
      ]);
    } finally {
      await guard.release();
    }
    // Nothing was written by the listing: the killed task is moved by the next task to end.
    expect(read("active").trimEnd().split("\n")).toHaveLength(3);
  });
});
