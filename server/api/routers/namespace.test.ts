import { describe, expect, it } from "vitest";
import { caller, codeOf, useDemoHome } from "../test-support";

useDemoHome();

const depthOf = (ns: string) => (ns === "" ? 0 : ns.split("/").length);
const parentOf = (ns: string) => (ns.includes("/") ? ns.slice(0, ns.lastIndexOf("/")) : "");

describe("namespace.list", () => {
  it("lists recursively from the root, anchor first, every parent before its children", async () => {
    const list = (await caller().namespace.list({ store: "demo" })).map((n) => n.ns);
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
    const all = (await caller().namespace.list({ store: "demo" })).map((n) => n.ns);
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
