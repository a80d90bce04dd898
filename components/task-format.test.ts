import { describe, expect, it } from "vitest";
import { formatDuration, splitLogLine, taskDescription, taskLogFileName, taskOutcome } from "./task-format";

describe("taskDescription", () => {
  it("reads move worker ids, root namespace included", () => {
    expect(taskDescription({ worker_type: "move-group", worker_id: "demo:a/b/vm/100:c" })).toBe("Move group vm/100 in 'a/b' to 'c' (demo)");
    expect(taskDescription({ worker_type: "move-group", worker_id: "demo:/vm/100:c" })).toBe("Move group vm/100 in root to 'c' (demo)");
    expect(taskDescription({ type: "move-namespace", id: "demo:a:b/c" })).toBe("Move namespace 'a' into 'b/c' (demo)");
  });

  it("names store tasks and unknown types", () => {
    expect(taskDescription({ worker_type: "garbage_collection", worker_id: "demo" })).toBe("Garbage collection (demo)");
    expect(taskDescription({ worker_type: "verify_group", worker_id: "demo:ns/vm/100" })).toBe("Verify group ns/vm/100 (demo)");
    expect(taskDescription({ worker_type: "prune", worker_id: "demo::vm/100" })).toBe("Prune vm/100 in root (demo)");
    expect(taskDescription({ worker_type: "some_new-kind" })).toBe("Some new kind");
  });
});

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

describe("taskOutcome", () => {
  it("quotes the maintenance message of a refused write", () => {
    const o = taskOutcome({ status: "stopped", exitstatus: "datastore 'demo' is unavailable: read-only maintenance mode: disk swap" });
    expect(o.label).toBe("Refused");
    expect(o.explanation).toContain("read-only maintenance, which refuses changes");
    expect(o.explanation).toContain(`The administrator's message: "disk swap"`);
  });

  it("names the holder of a conflicting lock and for how long", () => {
    const o = taskOutcome({
      status: "stopped",
      exitstatus:
        "while moving group 'vm/100': unable to acquire backup group lock \"/x/vm-100\": held by task UPID:n:1:2:3:4:move-group::root@pam: (pid 4242) for 75 s",
    });
    expect(o.label).toBe("Refused");
    expect(o.explanation).toBe(
      "Another operation holds the backup group lock: task UPID:n:1:2:3:4:move-group::root@pam: (pid 4242), for 1 min 15 s. Try again once it has finished.",
    );
  });

  it("tells a stop, warnings and an unknown end apart from a failure", () => {
    expect(taskOutcome({ status: "stopped", exitstatus: "abort requested - aborting task" }).label).toBe("Stopped");
    expect(taskOutcome({ status: "stopped", exitstatus: "WARNINGS: 2" }).explanation).toMatch(/2 warnings/);
    expect(taskOutcome({ status: "stopped", exitstatus: "unknown" }).label).toBe("Unknown");
    expect(taskOutcome({ status: "stopped", exitstatus: "disk on fire" })).toEqual({ tone: "danger", label: "Error" });
    expect(taskOutcome({ status: "running" }).label).toBe("Running");
  });
});
