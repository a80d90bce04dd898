import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";

import { afterEach, describe, expect, it } from "vitest";

import { isProcessAlive, parseProcStat, processStartTime, selfStartTime } from "./process";

const children: Array<ReturnType<typeof spawn>> = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill("SIGKILL");
});

function firstLine(child: ReturnType<typeof spawn>): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const nl = out.indexOf("\n");
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.on("exit", () => reject(new Error(`child exited early: ${out}`)));
  });
}

describe("process identity", () => {
  it("reads field 22 of /proc/<pid>/stat for this process", () => {
    const stat = readFileSync("/proc/self/stat", "latin1");
    const start = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
    expect(selfStartTime()).toBe(start);
    expect(processStartTime(process.pid)).toBe(start);
    expect(isProcessAlive(process.pid, start)).toBe(true);
  });

  it("parses behind the last ')' when comm holds spaces and parentheses", () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3)); // field N has value N
    fields[0] = "S";
    expect(parseProcStat(`42 (a) b (c) d) ${fields.join(" ")}\n`)).toEqual({ state: "S", session: 6, starttime: 22 });
    expect(parseProcStat("42 no paren")).toBeUndefined();
  });

  it("reads a live process whose name contains ') ' (renamed through /proc/self/comm)", async () => {
    const child = spawn(process.execPath, [
      "-e",
      `require("fs").writeFileSync("/proc/self/comm", "x) 1 2 (y z"); console.log("renamed"); setInterval(() => {}, 1000);`,
    ]);
    children.push(child);
    await firstLine(child);
    const stat = readFileSync(`/proc/${child.pid}/stat`, "latin1");
    expect(stat).toContain("(x) 1 2 (y z)");
    const start = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
    expect(processStartTime(child.pid!)).toBe(start);
    expect(isProcessAlive(child.pid!, start)).toBe(true);
  });

  it("guards against pid reuse and missing processes", () => {
    expect(isProcessAlive(process.pid, selfStartTime() + 1)).toBe(false);
    expect(processStartTime(0)).toBeUndefined();
    expect(processStartTime(-1)).toBeUndefined();
    expect(processStartTime(2 ** 22 + 7)).toBeUndefined(); // above pid_max's ceiling
  });

  it("counts a zombie (exited, not yet reaped) as dead", async () => {
    // `sleep 0.5` becomes a zombie: its parent execs into `sleep 30`, which never waits for it.
    const sh = spawn("sh", ["-c", "sleep 0.5 & echo $!; exec sleep 30"]);
    children.push(sh);
    const zombie = Number(await firstLine(sh));
    const start = processStartTime(zombie)!;
    expect(isProcessAlive(zombie, start)).toBe(true);
    await new Promise((r) => setTimeout(r, 900));
    expect(parseProcStat(readFileSync(`/proc/${zombie}/stat`, "latin1"))?.state).toBe("Z");
    expect(processStartTime(zombie)).toBe(start);
    expect(isProcessAlive(zombie, start)).toBe(false);
  });
});
