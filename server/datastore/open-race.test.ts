/**
 * Opening a datastore races `maintenance set` (PBS 6.3): an operation is either refused by the
 * new mode or counted before the mode is in place, never admitted and counted too late (it
 * would then run unseen while the console says "No conflicting operations"). Real processes,
 * real locks, real files: a child opens write handles from three loops as fast as it can
 * while this process opens from a loop of its own and sets read-only maintenance.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getActiveOperations } from "./state/active-operations";
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

describe("opening against maintenance set", () => {
  it("every write admitted before read-only maintenance is counted by the time the mode is set; none after", async () => {
    for (let round = 0; round < 4; round++) {
      await setMaintenanceMode(t.name, undefined);
      const child = startChild("open-loop.ts", [t.name, "write", "3"]);
      const mine: LookupHandle[] = [];
      let refusedHere = false;
      const local = (async () => {
        for (;;) {
          try {
            mine.push(await openDatastore(t.name, "write"));
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
      const countedAtSet = (await getActiveOperations(t.name)).write;

      const childTotal = Number((await child.waitFor("refused ")).split(" ")[1]);
      await local;
      expect(refusedHere).toBe(true);
      expect(childTotal).toBeGreaterThanOrEqual(10);
      // Everything that was admitted had been counted when set returned: nothing slipped in later.
      expect(countedAtSet).toBe(childTotal + mine.length);
      expect((await getActiveOperations(t.name)).write).toBe(childTotal + mine.length);

      await child.kill();
      for (const h of mine) await h.close();
      expect(await getActiveOperations(t.name)).toEqual({ read: 0, write: 0 });
    }
  }, 120_000);

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
