import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { paths } from "../../config/paths";
import { readTaskEnd, readTaskLog, readTaskStatus, rfc3339Local, TaskLog, taskLogPath } from "./task-log";
import { formatUpid, type Upid } from "./upid";
import { useTaskHome, waitUntil } from "../test-support/env";

let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ cleanup } = await useTaskHome());
});
afterEach(() => cleanup());

let counter = 0;
function upid(over: Partial<Upid> = {}): string {
  return formatUpid({
    node: "elsa",
    pid: 0x4f37,
    pstart: 0x39e469,
    taskId: counter++,
    starttime: 0x5ca78b83,
    workerType: "verify",
    workerId: "store1",
    authId: "root@pam",
    ...over,
  });
}

/** Writes a log by hand, the way a task (or a killed one) leaves it. */
function writeLog(u: string, lines: string[]): void {
  const file = taskLogPath(u);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, lines.map((l) => `${l}\n`).join(""));
}

const LINE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}: /;

/** The log's lines without their time stamps, as one string. */
function logText(u: string): string {
  return readFileSync(taskLogPath(u), "utf8").replace(new RegExp(LINE.source, "gm"), "");
}

describe("task log writes", () => {
  it("writes the first info line of a burst at once and the rest with the next warning, error or final line", () => {
    const u = upid();
    const log = TaskLog.create(u, { flushMs: 600_000 });
    log.info("first");
    expect(logText(u)).toBe("first\n");
    log.info("second");
    log.progress("third");
    expect(logText(u)).toBe("first\n");
    log.warn("odd");
    expect(logText(u)).toBe("first\nsecond\nthird\nodd\n");
    log.info("fourth");
    log.error("bad");
    expect(logText(u)).toBe("first\nsecond\nthird\nodd\nfourth\nbad\n");
    log.info("fifth");
    log.finishOk();
    expect(logText(u)).toBe("first\nsecond\nthird\nodd\nfourth\nbad\nfifth\nTASK WARNINGS: 2\n");
  });

  it("writes a waiting line within flushMs when nothing more is logged", async () => {
    const u = upid();
    const log = TaskLog.create(u, { flushMs: 20 });
    log.info("first");
    log.info("second");
    await waitUntil(() => logText(u).includes("second"), 10_000, "the waiting line to be written");
    expect(logText(u)).toBe("first\nsecond\n");
    log.finishOk();
  });

  it("writes the waiting lines when the process exits without a final line", async () => {
    const u = upid();
    const here = path.dirname(fileURLToPath(import.meta.url));
    const script = `import { TaskLog } from ${JSON.stringify(path.join(here, "task-log.ts"))};
const log = TaskLog.create(${JSON.stringify(u)}, { flushMs: 600000 });
log.info("first");
log.info("second");
log.info("third");
process.exit(3);`;
    await expect(promisify(execFile)(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { env: process.env })).rejects.toMatchObject({ code: 3 });
    expect(logText(u)).toBe("first\nsecond\nthird\n");
  });
});

describe("task log", () => {
  it("lives in tasks/<XX>/<UPID>, XX being pstart & 0xFF in upper-case hex", () => {
    const u = upid();
    expect(taskLogPath(u)).toBe(path.join(paths.tasks(), "69", u));
    expect(path.basename(path.dirname(taskLogPath(upid({ pstart: 0x1ff }))))).toBe("FF");
    expect(path.basename(path.dirname(taskLogPath(upid({ pstart: 0x10a }))))).toBe("0A");
  });

  it("dates every line with local RFC 3339 time, prefixes debug lines, counts warnings, ends with TASK WARNINGS", () => {
    const u = upid();
    const log = TaskLog.create(u);
    log.info("starting");
    log.progress("progress 1 of 2");
    log.warn("something odd");
    log.debug("details");
    log.error("one group failed");
    log.info("two\nlines");
    expect(log.warnCount).toBe(2);
    const state = log.finishOk();
    expect(state).toMatchObject({ state: "warning", count: 2 });
    log.info("after the end"); // ignored: nothing follows the final line

    const lines = readFileSync(taskLogPath(u), "utf8").trimEnd().split("\n");
    for (const l of lines) expect(l).toMatch(LINE);
    expect(lines.map((l) => l.replace(LINE, ""))).toEqual([
      "starting",
      "progress 1 of 2",
      "something odd",
      "DEBUG: details",
      "one group failed",
      "two",
      "lines",
      "TASK WARNINGS: 2",
    ]);
    // TZ=UTC in the test config: chrono prints +00:00, never Z.
    expect(lines[0]).toMatch(/^\S+\+00:00: starting$/);
    expect(rfc3339Local(new Date(Date.UTC(2026, 3, 27, 11, 49, 49)))).toBe("2026-04-27T11:49:49+00:00");
  });

  it("ends with TASK OK, or TASK ERROR: <message> on one line", () => {
    const ok = upid();
    TaskLog.create(ok).finishOk();
    expect(readFileSync(taskLogPath(ok), "utf8")).toMatch(/^\S+: TASK OK\n$/);

    const bad = upid();
    const log = TaskLog.create(bad);
    expect(log.finishError(new Error("while moving: lock held\nby pid 1"))).toMatchObject({ state: "error", message: "while moving: lock held by pid 1" });
    expect(readFileSync(taskLogPath(bad), "utf8")).toMatch(/^\S+: TASK ERROR: while moving: lock held by pid 1\n$/);
  });

  it("refuses to create a log that already exists", () => {
    const u = upid();
    TaskLog.create(u).finishOk();
    expect(() => TaskLog.create(u)).toThrow(/EEXIST/);
  });

  it("reads the status back from the last dated line (upid_read_status)", async () => {
    const t = "2026-04-27T13:49:49+02:00";
    const endtime = Date.parse(t) / 1000;
    const cases: Array<[string[], unknown]> = [
      [[`${t}: a`, `${t}: TASK OK`, "", ""], { state: { state: "ok", endtime }, final: true }],
      [[`${t}: a`, `${t}: TASK WARNINGS: 3`], { state: { state: "warning", count: 3, endtime }, final: true }],
      [[`${t}: TASK ERROR: while moving: boom`], { state: { state: "error", message: "while moving: boom", endtime }, final: true }],
      [[`${t}: TASK unknown`], { state: { state: "unknown", endtime }, final: true }],
      [[`${t}: TASK something else`], { state: { state: "error", message: "something else", endtime }, final: true }],
      // Killed: no final line → unknown at the last dated line's time.
      [[`${t}: a`, `${t}: progress 3 of 9`, "undated trailing junk"], { state: { state: "unknown", endtime }, final: false }],
    ];
    for (const [lines, want] of cases) {
      const u = upid();
      writeLog(u, lines);
      expect(await readTaskEnd(u)).toEqual(want);
    }
    // No dated line at all → unknown at the UPID's start time.
    const empty = upid({ starttime: 0x5ca78b83 });
    writeLog(empty, []);
    expect(await readTaskStatus(empty)).toEqual({ state: "unknown", endtime: 0x5ca78b83 });
    await expect(readTaskStatus(upid())).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("finds the final line behind a long log, reading only its last 8 KiB", async () => {
    const u = upid();
    const t = "2026-04-27T13:49:49+00:00";
    const filler = Array.from({ length: 2000 }, (_, i) => `${t}: line ${i} ${"x".repeat(40)}`);
    writeLog(u, [...filler, `${t}: TASK WARNINGS: 7`]);
    expect((await readTaskEnd(u)).state).toEqual({ state: "warning", count: 7, endtime: Date.parse(t) / 1000 });
  });

  it("reads lines with 1-based numbers, start and limit as PBS's log API", async () => {
    const u = upid();
    writeLog(u, ["l1", "l2", "l3", "l4", "l5"]);
    expect(await readTaskLog(u, { start: 0, limit: 2 })).toEqual({ lines: [{ n: 1, t: "l1" }, { n: 2, t: "l2" }], total: 5 });
    expect((await readTaskLog(u, { start: 1, limit: 2 })).lines[0]).toEqual({ n: 1, t: "l1" });
    expect(await readTaskLog(u, { start: 4, limit: 0 })).toEqual({ lines: [{ n: 4, t: "l4" }, { n: 5, t: "l5" }], total: 5 });
    expect(await readTaskLog(u, { start: 9 })).toEqual({ lines: [], total: 5 });
    await expect(readTaskLog(upid())).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
