import { readFile } from "node:fs/promises";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { paths } from "../config/paths";
import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { activeOperationsSettled, flushActiveOperations, getActiveOperations, SYNC_INTERVAL_MS } from "./state/active-operations";
import { setMaintenanceMode } from "../config/datastore-config";
import { BackupNamespace } from "./model/names";
import { openDatastore, type LookupHandle, type ReadHandle, type WriteHandle } from "./open";
import { killChildren, startChild } from "./test-support/lock-env";
import { useTempStore, type TempStore } from "./test-support/temp-store";
import type { MaintenanceType, Operation } from "./model/types";

let t: TempStore;
beforeEach(async () => {
  t = await useTempStore();
});
afterEach(async () => {
  await killChildren();
  await t.cleanup();
});

const root = BackupNamespace.root;

describe("openDatastore", () => {
  it("counts read and write handles until they are closed; lookup handles never count", async () => {
    const r = await openDatastore(t.name, "read");
    const w = await openDatastore(t.name, "write");
    const l = await openDatastore(t.name, "lookup");
    expect(await l.activeOperations()).toEqual({ read: 1, write: 1 });
    await r.close();
    await r.close(); // closing twice uncounts once
    expect(await getActiveOperations(t.name)).toEqual({ read: 0, write: 1 });
    {
      await using extra = await openDatastore(t.name, "read");
      expect(extra.operation).toBe("read");
      expect(await getActiveOperations(t.name)).toEqual({ read: 1, write: 1 });
    }
    await w.close();
    await l.close();
    expect(await getActiveOperations(t.name)).toEqual({ read: 0, write: 0 });
  });

  it("writes the file before the first handle of a kind is used; every other count follows on its own", async () => {
    const file = paths.activeOperations(t.name);
    const ownReads = async () => (JSON.parse(await readFile(file, "utf8")) as Array<{ pid: number; active_operations: { read: number } }>).find((e) => e.pid === process.pid)?.active_operations.read;
    const first = await openDatastore(t.name, "read");
    expect(await ownReads()).toBe(1); // the first of its kind is in the file before it is used
    const more = [await openDatastore(t.name, "read"), await openDatastore(t.name, "read")];
    expect(await ownReads()).toBe(1); // the file already showed one: no write before use
    // ...and the exact count reaches the file within SYNC_INTERVAL_MS, with nobody waiting for it.
    await vi.waitFor(async () => expect(await ownReads()).toBe(3), { timeout: 20 * SYNC_INTERVAL_MS, interval: SYNC_INTERVAL_MS / 4 });
    await more[0]!.close(); // resolves without a write: the file shows this process busier for a moment
    expect(await ownReads()).toBe(3);
    await flushActiveOperations(t.name);
    expect(await ownReads()).toBe(2);
    await more[1]!.close();
    await first.close(); // the last one does not wait for the file either...
    expect(await getActiveOperations(t.name)).toEqual({ read: 0, write: 0 }); // ...but this process knows
    await vi.waitFor(async () => expect(await ownReads()).toBe(0), { timeout: 20 * SYNC_INTERVAL_MS, interval: SYNC_INTERVAL_MS / 4 });
  });

  it("a count that follows on its own does not make a removed state directory again", async () => {
    const dir = path.dirname(paths.activeOperations(t.name));
    const handles = [await openDatastore(t.name, "read"), await openDatastore(t.name, "read")];
    for (const h of handles) await h.close(); // the file still shows a read: the zero follows
    rmSync(dir, { recursive: true }); // as a test's cleanup or an administrator clearing run/ would
    await activeOperationsSettled(t.name);
    expect(existsSync(dir)).toBe(false);
    const again = await openDatastore(t.name, "read"); // the next first opening writes it anew
    expect(existsSync(paths.activeOperations(t.name))).toBe(true);
    await again.close();
  });

  it("refuses an unknown datastore", async () => {
    await expect(openDatastore("nosuch", "read")).rejects.toThrow("no such datastore 'nosuch'");
  });

  const matrix: [MaintenanceType, Operation, string | null][] = [
    ["read-only", "lookup", null],
    ["read-only", "read", null],
    ["read-only", "write", "datastore 'store1' is unavailable: read-only maintenance mode: disk swap"],
    ["offline", "lookup", null],
    ["offline", "read", "datastore 'store1' is unavailable: offline maintenance mode: disk swap"],
    ["offline", "write", "datastore 'store1' is unavailable: offline maintenance mode: disk swap"],
    ["delete", "lookup", "datastore 'store1' is unavailable: datastore is being deleted"],
  ];
  it.each(matrix)("under %s maintenance, %s is %s", async (type, op, error) => {
    await setMaintenanceMode(t.name, { type, message: "disk swap" });
    if (error === null) {
      const h = await openDatastore(t.name, op);
      await h.close();
    } else {
      await expect(openDatastore(t.name, op)).rejects.toMatchObject({ message: error, code: "PRECONDITION_FAILED" });
      expect(await getActiveOperations(t.name)).toEqual({ read: 0, write: 0 });
    }
  });

  it("a process holding a write handle and killed no longer counts", async () => {
    const child = startChild("hold-handle.ts", [t.name, "write"]);
    await child.waitFor("open");
    expect(await getActiveOperations(t.name)).toEqual({ read: 0, write: 1 });
    await child.kill("SIGKILL");
    expect(await getActiveOperations(t.name)).toEqual({ read: 0, write: 0 });
  });

  it("a read handle cannot write, at compile time and at run time", async () => {
    const r: ReadHandle = await openDatastore(t.name, "read");
    const l: LookupHandle = await openDatastore(t.name, "lookup");
    try {
      // Type-level checks only: this function is compiled, never called.
      const compileOnly = () => {
        // @ts-expect-error a read handle has no write methods
        void r.createNamespace(root, "x");
        // @ts-expect-error a read handle has no write methods
        void r.destroyGroup(root, { type: "vm", id: "1" });
        // @ts-expect-error a read handle cannot change notes
        void r.setSnapshotNotes(root, { type: "vm", id: "1", time: 0 }, "x");
        // @ts-expect-error a lookup handle cannot even list
        void l.listGroups(root);
        // @ts-expect-error a read handle is not a write handle
        const w: WriteHandle = r;
        return w;
      };
      void compileOnly;
      // The cast that the compiler refuses does not work at run time either.
      const sneaky = r as unknown as WriteHandle;
      await expect(sneaky.createNamespace(root, "x")).rejects.toThrow("was opened for read, not write");
      const sneakyLookup = l as unknown as ReadHandle;
      await expect(sneakyLookup.listGroups(root)).rejects.toThrow("was opened for lookup, not read");
      expect(await r.listNamespaces(root)).toEqual([{ ns: "" }]);
    } finally {
      await r.close();
      await l.close();
    }
  });

  it("openDatastore's return type follows the operation", async () => {
    const w = await openDatastore(t.name, "write");
    const ns = await w.createNamespace(root, "typed");
    expect(ns.toString()).toBe("typed");
    await w.close();
    // a closed handle refuses further use
    await expect(w.listGroups(root)).rejects.toThrow("is closed");
  });
});
