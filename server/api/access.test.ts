/**
 * Every procedure declares who may call it (DESIGN.md 13): the auth middleware refuses a
 * procedure without `meta.access`, so one missing here would be unusable, and one declared
 * wrongly would be checked wrongly. This walks the whole appRouter.
 */
import { describe, expect, it } from "vitest";
import { isPrivilege } from "../auth";
import { appRouter } from "./root";
import type { Access } from "./init";

interface ProcedureLike {
  _def: { type: "query" | "mutation" | "subscription"; meta?: { access?: Access } };
}

const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, ProcedureLike>);
const PATHS = ["public", "authenticated", "store", "ns", "ns-parent", "system"];

describe("access declarations", () => {
  it("finds the procedures", () => {
    expect(procedures.length).toBeGreaterThan(10);
  });

  it.each(procedures.map(([name, p]) => [name, p] as const))("%s declares its access", (_name, procedure) => {
    const access = procedure._def.meta?.access;
    expect(access, "missing .meta({ access })").toBeDefined();
    expect(PATHS).toContain(access!.path);
    for (const p of [...access!.privileges, ...(access!.ownerPrivileges ?? [])]) expect(isPrivilege(p), p).toBe(true);
    if (access!.path === "public" || access!.path === "authenticated") {
      // Nothing is checked on these paths: listing privileges there would be a false promise.
      expect(access!.privileges).toEqual([]);
      expect(access!.ownerPrivileges ?? []).toEqual([]);
    } else {
      expect(access!.privileges.length + (access!.ownerPrivileges === undefined ? 0 : 1)).toBeGreaterThan(0);
    }
  });

  it("keeps every change behind a login", () => {
    const open = procedures
      .filter(([, p]) => p._def.type !== "query" && p._def.meta?.access?.path === "public")
      .map(([name]) => name);
    // Only logging in may change something without a caller.
    expect(open.filter((name) => !/^auth\.login$/.test(name))).toEqual([]);
  });
});
