import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { importGraph, importSpecifiers, resolveSpecifier } from "./check-layers.mjs";
import { cycles, ruleViolations } from "./layers.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const graph = (edges: Record<string, string[]>) => new Map(Object.entries(edges).map(([k, v]) => [k, new Set(v)]));

describe("the layering check", () => {
  it("reads every kind of import, and none in comments", () => {
    const text = [
      '/** import { x } from "./in-a-comment"; */',
      'import { a,',
      '  b } from "./multi-line";',
      'import type { T } from "../types";',
      'export { c } from "./re-export";',
      'export * from "./star";',
      'import "./side-effect";',
      'const m = await import("./dynamic");',
      'const s = "import { q } from \'./in-a-string\'";',
    ].join("\n");
    expect(importSpecifiers(text).sort()).toEqual(["../types", "./dynamic", "./multi-line", "./re-export", "./side-effect", "./star"]);
  });

  it("resolves repo modules, packages and built-ins", () => {
    expect(resolveSpecifier(root, "server/api/init.ts", "../datastore")).toBe("server/datastore/index.ts");
    expect(resolveSpecifier(root, "components/LoginForm.tsx", "@/server/api/types")).toBe("server/api/types.ts");
    expect(resolveSpecifier(root, "server/a.ts", "node:fs")).toBe("node:fs");
    expect(resolveSpecifier(root, "server/a.ts", "path")).toBe("node:path");
    expect(resolveSpecifier(root, "server/a.ts", "@trpc/server/adapters/fetch")).toBe("npm:@trpc/server");
  });

  it("finds a broken rule and says which and why", () => {
    const found = ruleViolations(
      graph({
        "server/datastore/model/names.ts": ["node:fs", "npm:zod"],
        "server/api/routers/x.ts": ["server/datastore/open.ts", "server/datastore/index.ts"],
        "server/api/routers/x.test.ts": ["server/datastore/open.ts"],
        "server/datastore/gc/gc.ts": ["server/tasks/core/upid.ts"],
        "server/config/paths.ts": ["server/datastore/locking/locks.ts"],
        "components/Foo.tsx": ["server/api/root.ts", "server/api/types.ts", "server/datastore/model/names.ts"],
      }),
    ).map((v) => `${v.rule}: ${v.from} -> ${v.to}`);
    expect(found.sort()).toEqual(
      [
        "model-is-pure: server/datastore/model/names.ts -> node:fs",
        "engine-through-its-surface: server/api/routers/x.ts -> server/datastore/open.ts",
        "engine-imports-nothing-above: server/datastore/gc/gc.ts -> server/tasks/core/upid.ts",
        "config-is-below-the-engine: server/config/paths.ts -> server/datastore/locking/locks.ts",
        "engine-through-its-surface: server/config/paths.ts -> server/datastore/locking/locks.ts",
        "components-see-model-and-api-types: components/Foo.tsx -> server/api/root.ts",
      ].sort(),
    );
  });

  it("finds cycles, and only cycles", () => {
    expect(cycles(graph({ a: ["b"], b: ["c"], c: ["a"], d: ["a"], e: ["e"], f: ["npm:x"] }))).toEqual([["a", "b", "c"], ["e"]]);
  });

  it("passes on this repository", () => {
    const g = importGraph(root);
    expect(g.size).toBeGreaterThan(200);
    expect(ruleViolations(g)).toEqual([]);
    expect(cycles(g)).toEqual([]);
  });
});
