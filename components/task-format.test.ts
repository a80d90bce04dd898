import { describe, expect, it } from "vitest";
import { formatDuration, splitLogLine, taskLogFileName } from "./task-format";

describe("formatDuration", () => {
  it.each([
    [0, "0 s"],
    [59.9, "59 s"],
    [65, "1 min 5 s"],
    [3600, "1 h"],
    [3 * 3600 + 120, "3 h 2 min"],
    [26 * 3600, "1 d 2 h"],
    [-1, "—"],
  ])("%s s is %s", (s, text) => expect(formatDuration(s)).toBe(text));
});

it("names a downloaded log as PBS does", () => {
  expect(taskLogFileName({ node: "pbs1", type: "garbage_collection", starttime: 1_795_000_000 })).toBe(
    "task-pbs1-garbage_collection-2026-11-18T11:06:40Z.log",
  );
});

it("splits the time stamp off a log line", () => {
  expect(splitLogLine("2026-11-21T11:10:23+01:00: progress 1 of 3")).toEqual({ time: "2026-11-21T11:10:23+01:00", text: "progress 1 of 3" });
  expect(splitLogLine("no stamp: here")).toEqual({ text: "no stamp: here" });
});
