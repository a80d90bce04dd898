import { describe, expect, it } from "vitest";
import { caller, codeOf, coffer, useDemoHome } from "../test-support";

const env = useDemoHome();

const depthOf = (ns: string) => (ns === "" ? 0 : ns.split("/").length);
const parentOf = (ns: string) => (ns.includes("/") ? ns.slice(0, ns.lastIndexOf("/")) : "");
const names = async (parent = "") => (await caller().namespace.list({ store: "demo", parent })).map((n) => n.ns);

describe("namespace.list", () => {
  it("lists recursively from the root, anchor first, every parent before its children", async () => {
    const list = await names();
    expect(list[0]).toBe("");
    const seen = new Set<string>();
    for (const ns of list) {
      if (ns !== "") expect(seen.has(parentOf(ns)), `${ns} listed before its parent`).toBe(true);
      seen.add(ns);
    }
    // The demo store goes at least three namespace levels deep.
    expect(Math.max(...list.map(depthOf))).toBeGreaterThanOrEqual(3);
  });

  it("limits the recursion to maxDepth below the parent", async () => {
    const all = await names();
    const parent = all.find((ns) => depthOf(ns) === 1 && all.some((c) => depthOf(c) === 3 && c.startsWith(`${ns}/`)))!;
    expect(parent).toBeDefined();

    const oneLevel = (await caller().namespace.list({ store: "demo", parent, maxDepth: 1 })).map((n) => n.ns);
    expect(oneLevel[0]).toBe(parent);
    expect(oneLevel.length).toBeGreaterThan(1);
    for (const ns of oneLevel.slice(1)) expect(parentOf(ns)).toBe(parent);

    const anchorOnly = await caller().namespace.list({ store: "demo", parent, maxDepth: 0 });
    expect(anchorOnly.map((n) => n.ns)).toEqual([parent]);
  });

  it("refuses invalid input with BAD_REQUEST", async () => {
    expect(await codeOf(caller().namespace.list({ store: "demo", parent: "a//b" }))).toBe("BAD_REQUEST");
    expect(await codeOf(caller().namespace.list({ store: "demo", maxDepth: 8 }))).toBe("BAD_REQUEST");
    expect(await codeOf(caller().namespace.list({ store: "demo", parent: "a/b/c/d/e/f/g/h" }))).toBe("BAD_REQUEST");
  });

  it("answers NOT_FOUND for an unknown datastore", async () => {
    expect(await codeOf(caller().namespace.list({ store: "no-such-store" }))).toBe("NOT_FOUND");
  });
});

describe("namespace.create", () => {
  it("creates a namespace below an existing parent and lists it", async () => {
    expect(await caller().namespace.create({ store: "demo", parent: "dev", name: "sandbox" })).toEqual({ ns: "dev/sandbox" });
    expect(await names("dev")).toContain("dev/sandbox");
  });

  it("refuses an existing namespace with CONFLICT and a missing parent with NOT_FOUND", async () => {
    await expect(caller().namespace.create({ store: "demo", parent: "", name: "prod" })).rejects.toMatchObject({
      code: "CONFLICT",
      message: "namespace 'prod' already exists",
    });
    expect(await codeOf(caller().namespace.create({ store: "demo", parent: "nope", name: "x" }))).toBe("NOT_FOUND");
  });

  it("refuses bad names and too deep namespaces with BAD_REQUEST", async () => {
    expect(await codeOf(caller().namespace.create({ store: "demo", parent: "", name: "-x" }))).toBe("BAD_REQUEST");
    expect(await codeOf(caller().namespace.create({ store: "demo", parent: "", name: "a/b" }))).toBe("BAD_REQUEST");
    expect(await codeOf(caller().namespace.create({ store: "demo", parent: "", name: "" }))).toBe("BAD_REQUEST");
    let parent = "";
    for (const part of ["d1", "d2", "d3", "d4", "d5", "d6", "d7"]) {
      parent = (await caller().namespace.create({ store: "demo", parent, name: part })).ns;
    }
    await expect(caller().namespace.create({ store: "demo", parent, name: "d8" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("namespace too deep"),
    });
    await caller().namespace.delete({ store: "demo", ns: "d1" });
  });

  it("answers NOT_FOUND for an unknown datastore and PRECONDITION_FAILED in read-only maintenance", async () => {
    expect(await codeOf(caller().namespace.create({ store: "no-such-store", parent: "", name: "x" }))).toBe("NOT_FOUND");
    coffer(env.home(), "maintenance", "set", "demo", "read-only", "--message", "disk swap");
    try {
      await expect(caller().namespace.create({ store: "demo", parent: "", name: "x" })).rejects.toMatchObject({
        code: "PRECONDITION_FAILED",
        message: expect.stringContaining("disk swap"),
      });
    } finally {
      coffer(env.home(), "maintenance", "clear", "demo");
    }
  });
});

describe("namespace.delete", () => {
  it("deletes an empty namespace with its empty children", async () => {
    await caller().namespace.create({ store: "demo", parent: "", name: "tmp" });
    await caller().namespace.create({ store: "demo", parent: "tmp", name: "child" });
    const stats = await caller().namespace.delete({ store: "demo", ns: "tmp" });
    expect(stats).toEqual({ "removed-groups": 0, "removed-snapshots": 0, "protected-snapshots": 0 });
    expect(await names()).not.toContain("tmp");
  });

  it("refuses a namespace that holds groups unless deleteGroups", async () => {
    await expect(caller().namespace.delete({ store: "demo", ns: "dev/ci" })).rejects.toMatchObject({ code: "CONFLICT" });
    expect(await names()).toContain("dev/ci");
    const stats = await caller().namespace.delete({ store: "demo", ns: "dev/ci", deleteGroups: true });
    expect(stats["removed-groups"]).toBe(2);
    expect(stats["removed-snapshots"]).toBe(7);
    expect(await names()).not.toContain("dev/ci");
  });

  it("keeps protected snapshots and says so with CONFLICT", async () => {
    await expect(caller().namespace.delete({ store: "demo", ns: "archive", deleteGroups: true })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining("protected snapshots"),
    });
    expect(await names()).toContain("archive");
  });

  it("refuses the root with BAD_REQUEST and a missing namespace with NOT_FOUND", async () => {
    expect(await codeOf(caller().namespace.delete({ store: "demo", ns: "" }))).toBe("BAD_REQUEST");
    expect(await codeOf(caller().namespace.delete({ store: "demo", ns: "no/such" }))).toBe("NOT_FOUND");
    expect(await codeOf(caller().namespace.delete({ store: "demo", ns: "bad name" }))).toBe("BAD_REQUEST");
    expect(await codeOf(caller().namespace.delete({ store: "no-such-store", ns: "x" }))).toBe("NOT_FOUND");
  });
});
