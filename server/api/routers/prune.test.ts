import { describe, expect, it } from "vitest";
import { listTasks } from "../../tasks";
import { caller, codeOf, coffer, useDemoHome } from "../test-support";
import { waitForTask } from "./content-test-support";

const env = useDemoHome();
const vm100 = { store: "demo", ns: "", group: { type: "vm" as const, id: "100" } };
const times = async () => (await caller().snapshot.list({ ...vm100 })).items.map((s) => s["backup-time"]);
const pruneTasks = async () => (await listTasks({ limit: 0, typefilter: "prune" })).data.length;

describe("prune.dryRun", () => {
  it("marks every snapshot keep, remove or protected, newest first, and changes nothing", async () => {
    const before = await times();
    const plan = await caller().prune.dryRun({ ...vm100, keep: { "keep-last": 1 } });
    expect(plan.keepsSomething).toBe(true);
    expect(plan.rows.map((r) => r["backup-time"])).toEqual([...before].sort((a, b) => b - a));
    // vm/100 has four snapshots, the oldest protected: the newest is kept, two go.
    expect(plan.rows.map((r) => r.mark)).toEqual(["keep", "remove", "remove", "protected"]);
    expect(plan.rows.map((r) => r.keep)).toEqual([true, false, false, true]);
    expect(await times()).toEqual(before);
  });

  it("keeps everything when no keep option is given", async () => {
    const plan = await caller().prune.dryRun({ ...vm100, keep: {} });
    expect(plan.keepsSomething).toBe(false);
    expect(plan.rows.every((r) => r.keep)).toBe(true);
  });

  it("refuses bad keep options with BAD_REQUEST and unknown things with NOT_FOUND", async () => {
    expect(await codeOf(caller().prune.dryRun({ ...vm100, keep: { "keep-last": 0 } }))).toBe("BAD_REQUEST");
    expect(await codeOf(caller().prune.dryRun({ ...vm100, keep: { "keep-daily": 1.5 } }))).toBe("BAD_REQUEST");
    expect(await codeOf(caller().prune.dryRun({ ...vm100, keep: { "keep-forever": 1 } as never }))).toBe("BAD_REQUEST");
    expect(await codeOf(caller().prune.dryRun({ ...vm100, group: { type: "vm", id: "4242" }, keep: {} }))).toBe("NOT_FOUND");
    expect(await codeOf(caller().prune.dryRun({ ...vm100, store: "no-such-store", keep: {} }))).toBe("NOT_FOUND");
    expect(await codeOf(caller().prune.start({ ...vm100, keep: { "keep-last": -1 } }))).toBe("BAD_REQUEST");
  });
});

describe("prune.start", () => {
  it("refuses in read-only maintenance with PRECONDITION_FAILED, without a task", async () => {
    const before = await pruneTasks();
    coffer(env.home(), "maintenance", "set", "demo", "read-only");
    try {
      expect(await codeOf(caller().prune.start({ ...vm100, keep: { "keep-last": 1 } }))).toBe("PRECONDITION_FAILED");
    } finally {
      coffer(env.home(), "maintenance", "clear", "demo");
    }
    expect(await pruneTasks()).toBe(before);
    expect(await codeOf(caller().prune.start({ ...vm100, group: { type: "vm", id: "4242" }, keep: { "keep-last": 1 } }))).toBe("NOT_FOUND");
  });

  it("removes what the dry run marked remove, as a prune task", async () => {
    const plan = await caller().prune.dryRun({ ...vm100, keep: { "keep-last": 1 } });
    const { upid } = await caller().prune.start({ ...vm100, keep: { "keep-last": 1 } });
    expect(upid).toContain(":prune:demo\\x3a\\x3avm-100:");
    expect((await waitForTask(upid, 60_000)).exitstatus).toBe("OK");
    expect((await times()).sort()).toEqual(
      plan.rows
        .filter((r) => r.keep)
        .map((r) => r["backup-time"])
        .sort(),
    );
  }, 90_000);
});
