import { existsSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BackupNamespace } from "../model/names";
import { useTempStore, withWrite, writeSnapshot, type TempStore } from "../test-support/temp-store";

const ns = (s: string) => BackupNamespace.parse(s);
let t: TempStore;

beforeEach(async () => {
  t = await useTempStore();
});
afterEach(async () => {
  await t.cleanup();
});

const T0 = 1_700_000_000;

describe("namespaces on disk", () => {
  it("creates a namespace as ns/<a>/ns/<b> only when its parent exists", async () => {
    await withWrite(t.name, async (ds) => {
      await ds.createNamespace(ns(""), "a");
      await ds.createNamespace(ns("a"), "b");
      expect(existsSync(path.join(t.path, "ns/a/ns/b"))).toBe(true);
      await expect(ds.createNamespace(ns("x"), "y")).rejects.toThrow(
        "cannot create new namespace, parent x doesn't already exists",
      );
      expect(existsSync(path.join(t.path, "ns/x"))).toBe(false);
      await expect(ds.createNamespace(ns("a"), "b")).rejects.toThrow("namespace 'a/b' already exists");
    });
  });

  it("refuses bad names and depth 8, creating nothing", async () => {
    await withWrite(t.name, async (ds) => {
      let parent = ns("");
      for (const c of ["1", "2", "3", "4", "5", "6", "7"]) parent = await ds.createNamespace(parent, c);
      await expect(ds.createNamespace(parent, "8")).rejects.toThrow("namespace too deep, 7 >= max 7");
      for (const bad of ["..", ".", "a/b", "a\u0000b", "a\u0007", "x".repeat(33), ""]) {
        await expect(ds.createNamespace(ns(""), bad)).rejects.toThrow();
      }
    });
    expect(existsSync(path.join(t.path, "ns/1/ns/2/ns/3/ns/4/ns/5/ns/6/ns/7/ns"))).toBe(false);
    const { readdirSync } = await import("node:fs");
    expect(readdirSync(path.join(t.path, "ns")).sort()).toEqual(["1"]);
  });

  it("lists recursively, pre-order, including the anchor, up to max-depth", async () => {
    await withWrite(t.name, async (ds) => {
      for (const n of ["b", "a", "a/y", "a/x", "a/x/deep"]) {
        const p = ns(n);
        await ds.createNamespace(p.parent(), p.name);
      }
      const all = (await ds.listNamespaces(ns(""))).map((n) => n.ns);
      expect(all).toEqual(["", "a", "a/x", "a/x/deep", "a/y", "b"]);
      expect((await ds.listNamespaces(ns("a"), 1)).map((n) => n.ns)).toEqual(["a", "a/x", "a/y"]);
      expect((await ds.listNamespaces(ns("a"), 0)).map((n) => n.ns)).toEqual(["a"]);
      await expect(ds.listNamespaces(ns(""), 8)).rejects.toThrow("depth must be smaller than 8");
      await expect(ds.listNamespaces(ns("nope"))).rejects.toThrow("namespace 'nope' does not exist");
    });
  });

  it("deletes empty namespaces recursively and refuses ones with groups unless --delete-groups", async () => {
    await withWrite(t.name, async (ds) => {
      await ds.createNamespace(ns(""), "a");
      await ds.createNamespace(ns("a"), "empty");
      await ds.createNamespace(ns("a"), "full");
      await writeSnapshot(ds, "a/full", "vm/100", T0);
      await expect(ds.deleteNamespace(ns("a"))).rejects.toThrow(
        "only partially deleted due to existing groups but `delete-groups` not true",
      );
      // the empty child went, the one with a group stayed
      expect(existsSync(path.join(t.path, "ns/a/ns/empty"))).toBe(false);
      expect(existsSync(path.join(t.path, "ns/a/ns/full/vm/100"))).toBe(true);
      const stats = await ds.deleteNamespace(ns("a"), { deleteGroups: true });
      expect(stats).toEqual({ "removed-groups": 1, "removed-snapshots": 1, "protected-snapshots": 0 });
      expect(existsSync(path.join(t.path, "ns/a"))).toBe(false);
      await expect(ds.deleteNamespace(ns(""))).rejects.toThrow("Cannot create/delete root namespace!");
    });
  });

  it("keeps protected snapshots when deleting with groups, and says the delete was partial", async () => {
    await withWrite(t.name, async (ds) => {
      await ds.createNamespace(ns(""), "a");
      await writeSnapshot(ds, "a", "vm/100", T0, { protect: true });
      await writeSnapshot(ds, "a", "vm/100", T0 + 10);
      await writeSnapshot(ds, "a", "ct/200", T0);
      await expect(ds.deleteNamespace(ns("a"), { deleteGroups: true })).rejects.toThrow(
        "group only partially deleted due to protected snapshots",
      );
      const snaps = await ds.listSnapshots(ns("a"));
      expect(snaps.map((s) => [`${s["backup-type"]}/${s["backup-id"]}`, s["backup-time"], s.protected])).toEqual([
        ["vm/100", T0, true],
      ]);
      expect(existsSync(path.join(t.path, "ns/a/ct/200"))).toBe(false);
      // group metadata of the surviving group stays with it
      expect(await ds.groupOwner(ns("a"), { type: "vm", id: "100" })).toBe("root@pam");
    });
  });
});
