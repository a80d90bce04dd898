import { describe, expect, it } from "vitest";
import { listTasks } from "../../tasks";
import { caller, codeOf, coffer, useDemoHome } from "../test-support";
import { waitForTask } from "./content-test-support";

const env = useDemoHome();
const verifyTasks = async () => (await listTasks({ limit: 0, typefilter: "verif" })).data.length;

describe("verify.start", () => {
  it("verifies one group as a verify_group task and marks its snapshots ok", async () => {
    const { upid } = await caller().verify.start({ store: "demo", ns: "prod/eu", group: { type: "vm", id: "300" } });
    expect(upid).toContain(":verify_group:demo\\x3aprod-eu-vm-300:");
    expect((await waitForTask(upid, 60_000)).exitstatus).toBe("OK");
    const snaps = await caller().snapshot.list({ store: "demo", ns: "prod/eu", group: { type: "vm", id: "300" } });
    expect(snaps.items.every((s) => s.verification?.state === "ok" && s.verification.upid === upid)).toBe(true);

    const status = await caller().datastore.status({ store: "demo" });
    expect(status.lastVerify).toMatchObject({ upid, state: "ok", status: "OK" });
  }, 90_000);

  it("verifies one snapshot again even when verified (ignoreVerified false)", async () => {
    const [snap] = (await caller().snapshot.list({ store: "demo", ns: "", group: { type: "ct", id: "101" } })).items;
    const { upid } = await caller().verify.start({
      store: "demo",
      ns: "",
      snapshot: { type: "ct", id: "101", time: snap!["backup-time"] },
      ignoreVerified: false,
    });
    expect(upid).toContain(":verify_snapshot:");
    expect((await waitForTask(upid, 60_000)).exitstatus).toBe("OK");
  }, 90_000);

  it("ends a namespace verify that meets the unfinished snapshot in TASK ERROR, as PBS", async () => {
    const { upid } = await caller().verify.start({ store: "demo", ns: "prod", maxDepth: 0, outdatedAfter: 30 });
    expect(upid).toContain(":verify:demo\\x3aprod:");
    const end = await waitForTask(upid, 90_000);
    expect(end.exitstatus).toMatch(/verification failed/);
  }, 120_000);

  it("refuses what it cannot verify before any task starts", async () => {
    const before = await verifyTasks();
    const group = { type: "vm" as const, id: "100" };
    expect(await codeOf(caller().verify.start({ store: "no-such-store" }))).toBe("NOT_FOUND");
    expect(await codeOf(caller().verify.start({ store: "demo", ns: "nope" }))).toBe("NOT_FOUND");
    expect(await codeOf(caller().verify.start({ store: "demo", group: { type: "vm", id: "4242" } }))).toBe("NOT_FOUND");
    expect(await codeOf(caller().verify.start({ store: "demo", snapshot: { ...group, time: 12345 } }))).toBe("NOT_FOUND");
    await expect(caller().verify.start({ store: "demo", group, snapshot: { ...group, time: 1 } })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("give a group or a snapshot, not both"),
    });
    expect(await codeOf(caller().verify.start({ store: "demo", group, maxDepth: 2 }))).toBe("BAD_REQUEST");
    expect(await codeOf(caller().verify.start({ store: "demo", maxDepth: 8 }))).toBe("BAD_REQUEST");
    expect(await codeOf(caller().verify.start({ store: "demo", outdatedAfter: -1 }))).toBe("BAD_REQUEST");
    expect(await verifyTasks()).toBe(before);
  });

  it("runs in read-only maintenance (a read operation) but not offline", async () => {
    coffer(env.home(), "maintenance", "set", "demo", "read-only");
    try {
      const { upid } = await caller().verify.start({ store: "demo", group: { type: "ct", id: "101" } });
      expect((await waitForTask(upid, 60_000)).exitstatus).toBe("OK");
      coffer(env.home(), "maintenance", "set", "demo", "offline");
      expect(await codeOf(caller().verify.start({ store: "demo", group: { type: "ct", id: "101" } }))).toBe("PRECONDITION_FAILED");
    } finally {
      coffer(env.home(), "maintenance", "clear", "demo");
    }
  }, 90_000);
});
