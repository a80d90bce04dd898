import { describe, expect, it } from "vitest";
import { taskDescription, taskOutcome } from "./task-presentation";

describe("taskDescription", () => {
  it("reads move worker ids, root namespace included", () => {
    expect(taskDescription("move-group", "demo:a/b/vm/100:c")).toBe("Move group vm/100 in 'a/b' to 'c' (demo)");
    expect(taskDescription("move-group", "demo:/vm/100:c")).toBe("Move group vm/100 in root to 'c' (demo)");
    expect(taskDescription("move-namespace", "demo:a:b/c")).toBe("Move namespace 'a' into 'b/c' (demo)");
  });

  it("names store tasks and unknown types", () => {
    expect(taskDescription("garbage_collection", "demo")).toBe("Garbage collection (demo)");
    expect(taskDescription("verify_group", "demo:ns/vm/100")).toBe("Verify group ns/vm/100 (demo)");
    expect(taskDescription("prune", "demo::vm/100")).toBe("Prune vm/100 in root (demo)");
    expect(taskDescription("some_new-kind", undefined)).toBe("Some new kind");
  });
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
