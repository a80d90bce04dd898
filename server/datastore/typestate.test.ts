/**
 * The typestate contract (DESIGN.md 4, PBS's lookup / read / write references), for every
 * operation that writes datastore content: it does not type-check with a read or a lookup
 * handle, and the same call forced through a cast is refused at run time before it changes
 * anything. Reads take a read handle, and a lookup handle reaches no content at all.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SnapshotWriter } from "./backup/snapshot-writer";
import { runBackup } from "./backup/backup";
import { garbageCollection } from "./gc/gc";
import { readGcStatus } from "./gc/gc-status";
import { BackupNamespace } from "./model/names";
import { checkMoveGroup, checkMoveNamespace } from "./move/move-checks";
import { moveGroup } from "./move/move-group";
import { moveNamespace } from "./move/move-namespace";
import { planMoveGroup, planMoveNamespace } from "./move/move-plan";
import { openDatastore, type LookupHandle, type ReadHandle, type WriteHandle } from "./open";
import { planPrune, pruneGroup } from "./prune/prune";
import { verifyBackups } from "./verify/verify";
import { useTempStore, withWrite, writeSnapshot, type TempStore } from "./test-support/temp-store";
import { nullLog } from "./model/log";

let t: TempStore;
beforeEach(async () => {
  t = await useTempStore();
  await withWrite(t.name, async (ds) => {
    await ds.createNamespace(BackupNamespace.root, "a");
    await ds.createNamespace(BackupNamespace.root, "b");
    await writeSnapshot(ds, "a", "vm/100", 1_700_000_000);
  });
});
afterEach(async () => {
  await t.cleanup();
});

const a = BackupNamespace.parse("a");
const b = BackupNamespace.parse("b");
const vm100 = { type: "vm", id: "100" } as const;

/** Every write operation of the engine, called the way its callers call it. */
function writes(ds: WriteHandle): Record<string, () => Promise<unknown>> {
  return {
    moveGroup: () => moveGroup(ds, a, vm100, b, true, nullLog),
    moveNamespace: () => moveNamespace(ds, a, BackupNamespace.parse("b/a"), {}, nullLog),
    garbageCollection: () => garbageCollection(ds, { upid: "UPID:test", log: nullLog, skipAtimeCheck: true }),
    pruneGroup: () => pruneGroup(ds, a, vm100, { "keep-last": 1 }),
    runBackup: () => runBackup(ds, a, vm100, [], { authId: "root@pam" }),
    snapshotWriter: () => SnapshotWriter.begin(ds, a, vm100, { authId: "root@pam" }),
    createNamespace: () => ds.createNamespace(BackupNamespace.root, "c"),
    deleteNamespace: () => ds.deleteNamespace(b),
    setGroupNotes: () => ds.setGroupNotes(a, vm100, "x"),
    setGroupOwner: () => ds.setGroupOwner(a, vm100, "root@pam"),
    destroyGroup: () => ds.destroyGroup(a, vm100),
    destroySnapshot: () => ds.destroySnapshot(a, { ...vm100, time: 1_700_000_000 }),
    setSnapshotNotes: () => ds.setSnapshotNotes(a, { ...vm100, time: 1_700_000_000 }, "x"),
    setSnapshotProtected: () => ds.setSnapshotProtected(a, { ...vm100, time: 1_700_000_000 }, true),
  };
}

describe("typestate", () => {
  it("refuses, at compile time, every write operation on a read or a lookup handle", async () => {
    const r: ReadHandle = await openDatastore(t.name, "read");
    const l: LookupHandle = await openDatastore(t.name, "lookup");
    try {
      // Compiled, never called: each line must fail to type-check (tsc runs over tests too).
      const compileOnly = () => {
        // @ts-expect-error a read handle cannot move a group
        void moveGroup(r, a, vm100, b, true, nullLog);
        // @ts-expect-error a read handle cannot move a namespace
        void moveNamespace(r, a, b, {}, nullLog);
        // @ts-expect-error a read handle cannot collect garbage
        void garbageCollection(r, { upid: "x", log: nullLog });
        // @ts-expect-error a read handle cannot prune
        void pruneGroup(r, a, vm100, {});
        // @ts-expect-error a read handle cannot back up
        void runBackup(r, a, vm100, [], { authId: "root@pam" });
        // @ts-expect-error a read handle cannot start a snapshot
        void SnapshotWriter.begin(r, a, vm100, { authId: "root@pam" });
        // @ts-expect-error a read handle cannot set notes
        void r.setGroupNotes(a, vm100, "x");
        // @ts-expect-error a read handle cannot protect
        void r.setSnapshotProtected(a, { ...vm100, time: 0 }, true);
        // @ts-expect-error a lookup handle cannot move
        void moveGroup(l, a, vm100, b, true, nullLog);
        // @ts-expect-error a lookup handle cannot collect garbage
        void garbageCollection(l, { upid: "x", log: nullLog });
        // @ts-expect-error a lookup handle cannot even plan a move
        void planMoveGroup(l, a, vm100, b, true);
        // @ts-expect-error a lookup handle cannot run a pre-flight check
        void checkMoveNamespace(l, a, b);
        // @ts-expect-error a lookup handle cannot verify
        void verifyBackups(l, { kind: "datastore" }, { upid: "x" });
        // @ts-expect-error a lookup handle cannot read the GC status file
        void readGcStatus(l);
        // @ts-expect-error a lookup handle cannot plan a prune
        void planPrune(l, a, vm100, {});
      };
      void compileOnly;
    } finally {
      await r.close();
      await l.close();
    }
  });

  it("refuses, at run time, every write operation forced onto a read handle, changing nothing", async () => {
    const r = await openDatastore(t.name, "read");
    try {
      const before = await r.listSnapshots(a, vm100);
      for (const [name, call] of Object.entries(writes(r as unknown as WriteHandle))) {
        await expect(call(), name).rejects.toThrow(/was opened for read, not write/);
      }
      expect(await r.listSnapshots(a, vm100)).toEqual(before);
      expect((await r.listNamespaces(BackupNamespace.root)).map((n) => n.ns)).toEqual(["", "a", "b"]);
    } finally {
      await r.close();
    }
  });

  it("refuses reads through a lookup handle at run time, and any use of a closed handle", async () => {
    const l = await openDatastore(t.name, "lookup");
    const asRead = l as unknown as ReadHandle;
    for (const call of [
      () => planMoveGroup(asRead, a, vm100, b, true),
      () => checkMoveGroup(asRead, a, b, vm100, true),
      () => planMoveNamespace(asRead, a, BackupNamespace.parse("b/a"), {}),
      () => readGcStatus(asRead),
      () => asRead.listGroups(a),
    ]) {
      await expect(call()).rejects.toThrow(/opened for lookup|not an open datastore handle/);
    }
    await l.close();
    const w = await openDatastore(t.name, "write");
    await w.close();
    await expect(moveGroup(w, a, vm100, b, true, nullLog)).rejects.toThrow(/is closed/);
  });

  it("plans and checks with a read handle: a preview is a read", async () => {
    const r = await openDatastore(t.name, "read");
    try {
      await checkMoveGroup(r, a, b, vm100, true);
      const plan = await planMoveGroup(r, a, vm100, b, true);
      expect(plan.groups[0]).toMatchObject({ action: "move" });
    } finally {
      await r.close();
    }
  });
});
