/**
 * Opening a datastore races `maintenance set` (PBS 6.3): an operation is either refused by the
 * new mode or shown in the active operations file before the mode is in place, never admitted
 * unseen (it would then run while the console says "No conflicting operations"). A process
 * that already shows an operation of a kind counts more of them in memory first and writes
 * the exact count soon after (state/active-operations.ts): the file shows at least one for it
 * when the mode is set, and the exact count once its counts are written. Real processes, real
 * locks, real files.
 */
import { readFile } from "node:fs/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { paths } from "../config/paths";
import { flushActiveOperations, getActiveOperations } from "./state/active-operations";
import { setMaintenanceMode } from "../config/datastore-config";
import { openDatastore, type LookupHandle } from "./open";
import { killChildren, startChild } from "./test-support/lock-env";
import { useTempStore, type TempStore } from "./test-support/temp-store";

let t: TempStore;
beforeEach(async () => {
  t = await useTempStore();
});
afterEach(async () => {
  await killChildren();
  await t.cleanup();
});

/** This file's entries: pid -> write count. */
async function writeCounts(store: string): Promise<Map<number, number>> {
  const entries = JSON.parse(await readFile(paths.activeOperations(store), "utf8")) as Array<{ pid: number; active_operations: { write: number } }>;
  return new Map(entries.map((e) => [e.pid, e.active_operations.write]));
}

describe("opening against maintenance set", () => {
  it("every process with a write admitted before read-only maintenance shows it by the time the mode is set; none after", async () => {
    for (let round = 0; round < 4; round++) {
      await setMaintenanceMode(t.name, undefined);
      const child = startChild("open-loop.ts", [t.name, "write", "3"]);
      const mine: LookupHandle[] = [];
      let refusedHere = false;
      const local = (async () => {
        for (;;) {
          try {
            mine.push(await openDatastore(t.name, "write"));
            await new Promise((r) => setImmediate(r)); // as in open-loop.ts: let the mode be set
          } catch (err) {
            if ((err as { code?: string }).code !== "PRECONDITION_FAILED") throw err;
            refusedHere = true;
            return;
          }
        }
      })();
      // Both sides are opening: the child has opened a few, and so have we.
      await child.waitFor("opened 10");
      await setMaintenanceMode(t.name, { type: "read-only", message: `round ${round}` });
      const atSet = await writeCounts(t.name);
      const mineAtSet = mine.length;

      // The child flushes its counts before it says it was refused.
      const childTotal = Number((await child.waitFor("refused ")).split(" ")[1]);
      await local;
      expect(refusedHere).toBe(true);
      expect(childTotal).toBeGreaterThanOrEqual(10);
      // Each side that had a write admitted showed at least one when set returned (the child
      // had: it printed "opened 10"), and nothing was admitted after the mode was in place...
      expect(atSet.get(child.pid)).toBeGreaterThanOrEqual(1);
      if (mineAtSet > 0) expect(atSet.get(process.pid)).toBeGreaterThanOrEqual(1);
      // ...so once both sides wrote their counts, the file holds every admitted write exactly.
      await flushActiveOperations(t.name);
      expect((await getActiveOperations(t.name)).write).toBe(childTotal + mine.length);

      await child.kill();
      for (const h of mine) await h.close();
      expect(await getActiveOperations(t.name)).toEqual({ read: 0, write: 0 });
    }
  }, 120_000);

  it("whenever a process uses a handle, the file shows an operation of its kind for it", async () => {
    // A child opens and closes write handles from two loops, each used for 0-2 ms with rests
    // between, so its count keeps falling to zero and rising again: a rise from zero is written before the
    // handle is used; a rise from one needs no write, since the file already shows one. This
    // is what a drain relies on: the file never shows zero while a handle is in use.
    const child = startChild("open-loop.ts", [t.name, "write", "2", "churn"]);
    await child.waitFor("opened 20");
    const now = () => performance.timeOrigin + performance.now();
    const samples: Array<{ from: number; to: number; shown: number }> = [];
    for (let i = 0; i < 400; i++) {
      const from = now();
      const shown = (await writeCounts(t.name)).get(child.pid) ?? 0;
      samples.push({ from, to: now(), shown });
    }
    child.send("stop");
    await child.waitFor("stopped");
    const uses = child.linesStarting("held ").map((l) => l.split(" ").slice(1).map(Number) as [number, number]);
    // A use that began before a reading of the file began and ended after it ended was in use
    // all along: the file must have shown it. (0.2 ms of slack for the two processes' clocks.)
    const unseen = samples.filter((s) => s.shown === 0 && uses.some(([from, to]) => from < s.from - 0.2 && to > s.to + 0.2));
    const covered = samples.filter((s) => uses.some(([from, to]) => from < s.from - 0.2 && to > s.to + 0.2));
    expect(uses.length).toBeGreaterThan(20);
    expect(covered.length).toBeGreaterThan(0); // the check below had something to check
    expect(unseen).toEqual([]);
    await child.exited; // its last count may not have reached the file: a process gone counts no more
    expect(await getActiveOperations(t.name)).toEqual({ read: 0, write: 0 });
  }, 60_000);

  it("lookups and reads open while a write holds the per-datastore lock's neighbour, the config lock", async () => {
    // A long config write (datastore create/remove, a maintenance change of another store)
    // must not stall openings: they read the config without its lock.
    const { withConfigLock } = await import("../config/datastore-config");
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const holder = withConfigLock(async () => {
      locked();
      await held;
    });
    await isLocked;
    const r = await openDatastore(t.name, "read");
    const l = await openDatastore(t.name, "lookup");
    expect(await l.activeOperations()).toEqual({ read: 1, write: 0 });
    await r.close();
    await l.close();
    release();
    await holder;
  });
});
