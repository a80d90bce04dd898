import { describe, expect, it } from "vitest";
import { writeSnapshot, withWrite } from "../../datastore/test-support/temp-store";
import { listTasks, readTaskLog } from "../../tasks";
import { caller, codeOf, coffer, useDemoHome } from "../test-support";
import { holdLock, waitForTask } from "./content-test-support";

const env = useDemoHome();

const groupsIn = async (ns: string) =>
  (await caller().group.list({ store: "demo", ns, limit: 1000 })).items.map((g) => `${g["backup-type"]}/${g["backup-id"]}`);
const namespaces = async () => (await caller().namespace.list({ store: "demo" })).map((n) => n.ns);
const taskCount = async () => (await listTasks({ limit: 0 })).data.length;

describe("move.planGroup", () => {
  it("plans a plain move and changes nothing", async () => {
    const plan = await caller().move.planGroup({ store: "demo", ns: "", group: { type: "ct", id: "101" }, targetNs: "archive" });
    expect(plan.groups).toEqual([
      expect.objectContaining({ "backup-type": "ct", "backup-id": "101", ns: "", "target-ns": "archive", action: "move", snapshots: 3 }),
    ]);
    expect(plan.summary).toBe("1 group(s) will be moved");
    expect(await groupsIn("")).toContain("ct/101");
  });

  it("shows an owner mismatch at the target as a conflict with its reason", async () => {
    // A group vm/100 in 'dev' owned by someone else than the root's vm/100.
    await withWrite("demo", (ds) => writeSnapshot(ds, "dev", "vm/100", 1_000_000_000, { owner: "alice@pbs" }));
    const plan = await caller().move.planGroup({ store: "demo", ns: "", group: { type: "vm", id: "100" }, targetNs: "dev" });
    expect(plan.groups[0]).toMatchObject({ action: "conflict", reason: "owner mismatch (source: root@pam, target: alice@pbs)" });
    expect(plan.summary).toMatch(/^the group cannot be moved: owner mismatch/);
  });

  it("refuses what the pre-flight check refuses, with its codes", async () => {
    const vm100 = { store: "demo", ns: "", group: { type: "vm" as const, id: "100" } };
    await expect(caller().move.planGroup({ ...vm100, targetNs: "" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: "source and target namespace must be different",
    });
    await expect(caller().move.planGroup({ ...vm100, targetNs: "nope" })).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: "target namespace 'nope' does not exist",
    });
    await expect(caller().move.planGroup({ ...vm100, targetNs: "dev", mergeGroup: false })).rejects.toMatchObject({ code: "CONFLICT" });
    expect(await codeOf(caller().move.planGroup({ ...vm100, group: { type: "vm", id: "4242" }, targetNs: "dev" }))).toBe("NOT_FOUND");
    expect(await codeOf(caller().move.planGroup({ ...vm100, targetNs: "bad name" }))).toBe("BAD_REQUEST");
    expect(await codeOf(caller().move.planGroup({ ...vm100, store: "no-such-store", targetNs: "dev" }))).toBe("NOT_FOUND");
  });
});

describe("move.planNamespace", () => {
  it("plans the namespaces to create and remove and the depth check", async () => {
    const plan = await caller().move.planNamespace({ store: "demo", ns: "prod/eu", targetNs: "archive/eu" });
    expect(plan["namespaces-created"]).toEqual(["archive/eu", "archive/eu/db"]);
    expect(plan["namespaces-removed"]).toEqual(["prod/eu/db", "prod/eu"]);
    expect(plan["depth-check"]).toMatchObject({ ok: true, "subtree-depth": 1, "target-depth": 2 });
    expect(plan.groups.every((g) => g.action === "move")).toBe(true);
    expect(plan.groups).toHaveLength(7);
  });

  it("reports a depth limit that the move would exceed", async () => {
    let parent = "";
    for (const part of ["p1", "p2", "p3", "p4", "p5", "p6"])
      parent = (await caller().namespace.create({ store: "demo", parent, name: part })).ns;
    const plan = await caller().move.planNamespace({ store: "demo", ns: "prod", targetNs: `${parent}/prod` });
    expect(plan["depth-check"].ok).toBe(false);
    expect(plan.summary).toBe("namespace depth limit exceeded: source subtree depth (2) + target depth (7) would exceed max (7)");
    await caller().namespace.delete({ store: "demo", ns: "p1" });
  });

  it("refuses root, self, own subtree, into-root and missing parents, with no task started", async () => {
    const before = await taskCount();
    const plan = (targetNs: string, ns = "prod") => caller().move.planNamespace({ store: "demo", ns, targetNs });
    const start = (targetNs: string, ns = "prod") => caller().move.startNamespace({ store: "demo", ns, targetNs });
    for (const call of [plan, start]) {
      // The access check (Modify on the parent) refuses the root first, with PBS's text.
      await expect(call("x", "")).rejects.toMatchObject({ code: "BAD_REQUEST", message: "Cannot create/delete root namespace!" });
      await expect(call("prod")).rejects.toMatchObject({ code: "BAD_REQUEST", message: "source and target namespace must be different" });
      await expect(call("prod/eu/x")).rejects.toMatchObject({
        code: "BAD_REQUEST",
        message: expect.stringContaining("into its own subtree"),
      });
      await expect(call("")).rejects.toMatchObject({ code: "BAD_REQUEST", message: "Cannot create/delete root namespace!" });
      await expect(call("nope/x")).rejects.toMatchObject({ code: "NOT_FOUND", message: "target parent namespace 'nope' does not exist" });
      await expect(call("x", "nope")).rejects.toMatchObject({ code: "NOT_FOUND" });
    }
    expect(await taskCount()).toBe(before);
  });
});

describe("move.startGroup", () => {
  it("starts the move-group task, which moves the group", async () => {
    const { upid } = await caller().move.startGroup({ store: "demo", ns: "prod", group: { type: "host", id: "gateway" }, targetNs: "dev" });
    expect(upid).toMatch(/^UPID:.*:move-group:.*:root@pam:$/);
    const status = await waitForTask(upid);
    expect(status.exitstatus).toBe("OK");
    expect(await groupsIn("dev")).toContain("host/gateway");
    expect(await groupsIn("prod")).not.toContain("host/gateway");
  });

  it("ends the task with an error when the merge is refused inside the worker", async () => {
    const { upid } = await caller().move.startGroup({ store: "demo", ns: "", group: { type: "vm", id: "100" }, targetNs: "dev" });
    const status = await waitForTask(upid);
    expect(status.exitstatus).toMatch(/owner mismatch/);
    expect(await groupsIn("")).toContain("vm/100");
  });

  it("refuses a failed pre-flight check without starting a task", async () => {
    const before = await taskCount();
    const input = { store: "demo", ns: "", group: { type: "ct" as const, id: "101" } };
    expect(await codeOf(caller().move.startGroup({ ...input, targetNs: "" }))).toBe("BAD_REQUEST");
    expect(await codeOf(caller().move.startGroup({ ...input, targetNs: "nope" }))).toBe("NOT_FOUND");
    expect(await codeOf(caller().move.startGroup({ ...input, group: { type: "ct", id: "999" }, targetNs: "dev" }))).toBe("NOT_FOUND");
    expect(await taskCount()).toBe(before);
  });

  it("refuses a move in read-only maintenance with PRECONDITION_FAILED and the message, but previews it (a read)", async () => {
    coffer(env.home(), "maintenance", "set", "demo", "read-only", "--message", "rebalancing");
    try {
      for (const call of [
        () => caller().move.startGroup({ store: "demo", ns: "", group: { type: "ct", id: "101" }, targetNs: "dev" }),
        () => caller().move.startNamespace({ store: "demo", ns: "dev", targetNs: "archive/dev" }),
      ]) {
        await expect(call()).rejects.toMatchObject({
          code: "PRECONDITION_FAILED",
          message: "datastore 'demo' is unavailable: read-only maintenance mode: rebalancing",
        });
      }
      const plan = await caller().move.planGroup({ store: "demo", ns: "", group: { type: "ct", id: "101" }, targetNs: "dev" });
      expect(plan.groups[0]).toMatchObject({ action: "move" });
      const nsPlan = await caller().move.planNamespace({ store: "demo", ns: "dev", targetNs: "archive/dev" });
      expect(nsPlan.groups.length).toBeGreaterThan(0);
    } finally {
      coffer(env.home(), "maintenance", "clear", "demo");
    }
  });

  it("shows a locked group as deferred in the plan, naming the holder", async () => {
    const held = await holdLock(env.home(), "demo", "ct/101");
    try {
      const plan = await caller().move.planGroup({ store: "demo", ns: "", group: { type: "ct", id: "101" }, targetNs: "archive" });
      expect(plan.groups[0]).toMatchObject({ action: "locked", reason: expect.stringMatching(/held by pid \d+ for \d+ s/) });
    } finally {
      await held.release();
    }
  });
});

describe("move.startNamespace", () => {
  it("starts the move-namespace task, which moves the subtree and removes the source", async () => {
    const { upid } = await caller().move.startNamespace({ store: "demo", ns: "prod/us", targetNs: "archive/us" });
    expect(upid).toMatch(/:move-namespace:/);
    const status = await waitForTask(upid);
    expect(status.exitstatus).toBe("OK");
    const list = await namespaces();
    expect(list).toContain("archive/us");
    expect(list).not.toContain("prod/us");
    expect((await groupsIn("archive/us")).sort()).toEqual(["host/nas01", "vm/500"]);
    const log = await readTaskLog(upid, { limit: 0 });
    expect(log.lines.map((l) => l.t).at(-1)).toMatch(/TASK OK$/);
  });

  it("passes maxDepth, deleteSource and mergeGroups to the task", async () => {
    const { upid } = await caller().move.startNamespace({
      store: "demo",
      ns: "dev",
      targetNs: "moved-dev",
      maxDepth: 0,
      deleteSource: false,
      mergeGroups: false,
    });
    expect((await waitForTask(upid)).exitstatus).toBe("OK");
    // max-depth 0: only dev's own groups; dev/ci and dev itself stay.
    expect(await namespaces()).toEqual(expect.arrayContaining(["dev", "dev/ci", "moved-dev"]));
    expect(await groupsIn("moved-dev")).toContain("vm/600");
    expect(await groupsIn("dev")).toEqual([]);
  });

  it("refuses bad input with BAD_REQUEST", async () => {
    expect(await codeOf(caller().move.startNamespace({ store: "demo", ns: "dev", targetNs: "x", maxDepth: 8 }))).toBe("BAD_REQUEST");
    expect(await codeOf(caller().move.startNamespace({ store: "demo", ns: "a//b", targetNs: "x" }))).toBe("BAD_REQUEST");
    expect(await codeOf(caller().move.startNamespace({ store: "no-such-store", ns: "dev", targetNs: "x" }))).toBe("NOT_FOUND");
  });
});
