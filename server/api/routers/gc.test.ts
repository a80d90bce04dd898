import { describe, expect, it } from "vitest";
import { listTasks } from "../../tasks";
import { caller, codeOf, coffer, useDemoHome } from "../test-support";
import { waitForTask } from "./content-test-support";

const env = useDemoHome();
const gcTasks = async () => (await listTasks({ limit: 0, typefilter: "garbage_collection" })).data.length;

describe("gc.status", () => {
  it("reports an all-zero status without a UPID before any GC ran", async () => {
    const s = await caller().gc.status({ store: "demo" });
    expect(s).toMatchObject({ store: "demo", upid: null, "disk-bytes": 0, "removed-bytes": 0 });
    expect(s.running).toBeUndefined();
    expect(s["last-run-state"]).toBeUndefined();
  });

  it("answers NOT_FOUND for an unknown store and BAD_REQUEST for a bad name", async () => {
    expect(await codeOf(caller().gc.status({ store: "no-such-store" }))).toBe("NOT_FOUND");
    expect(await codeOf(caller().gc.status({ store: "x" }))).toBe("BAD_REQUEST");
  });
});

describe("gc.start", () => {
  it("runs a GC as a task, refuses a second one while it runs, and records the run", async () => {
    const { upid } = await caller().gc.start({ store: "demo" });
    expect(upid).toMatch(/^UPID:[^:]+:[0-9A-F]{8}:[0-9A-F]+:[0-9A-F]+:[0-9A-F]{8}:garbage_collection:demo:root@pam:$/);

    // The first run sleeps through the atime check for a second: still running now.
    expect((await caller().gc.status({ store: "demo" })).running).toBe(upid);
    const before = await gcTasks();
    await expect(caller().gc.start({ store: "demo" })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining(`is running as task ${upid}`),
    });
    expect(await gcTasks()).toBe(before);

    const end = await waitForTask(upid, 60_000);
    expect(end.exitstatus).toBe("OK");

    const s = await caller().gc.status({ store: "demo" });
    expect(s).toMatchObject({ upid, "last-run-state": "OK", "last-run-endtime": end.endtime });
    expect(s["disk-bytes"]).toBeGreaterThan(0);
    expect(s["index-data-bytes"]).toBeGreaterThan(s["disk-bytes"]); // the demo deduplicates
    expect(s.running).toBeUndefined();

    const history = await caller().datastore.gcHistory({ store: "demo" });
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ upid, "disk-bytes": s["disk-bytes"], "index-data-bytes": s["index-data-bytes"] });
    expect(history[0]!["dedup-factor"]).toBeCloseTo(s["index-data-bytes"] / s["disk-bytes"], 6);
    expect(Math.abs(history[0]!.endtime - end.endtime!)).toBeLessThanOrEqual(2);
  }, 90_000);

  it("refuses a GC in read-only or offline maintenance with PRECONDITION_FAILED, without a task", async () => {
    const before = await gcTasks();
    coffer(env.home(), "maintenance", "set", "demo", "read-only");
    try {
      await expect(caller().gc.start({ store: "demo" })).rejects.toMatchObject({
        code: "PRECONDITION_FAILED",
        message: expect.stringContaining("datastore 'demo' is unavailable"),
      });
      coffer(env.home(), "maintenance", "set", "demo", "offline");
      expect(await codeOf(caller().gc.start({ store: "demo" }))).toBe("PRECONDITION_FAILED");
    } finally {
      coffer(env.home(), "maintenance", "clear", "demo");
    }
    expect(await gcTasks()).toBe(before);
  });

  it("answers NOT_FOUND for an unknown store", async () => {
    expect(await codeOf(caller().gc.start({ store: "no-such-store" }))).toBe("NOT_FOUND");
  });
});
