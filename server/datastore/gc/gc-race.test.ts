/**
 * Reliability test 1: garbage collection racing a move (reference 4.8). GC lists the index
 * files, then walks the namespaces in sorted pre-order from the root. A group moved out of a
 * namespace the walk has not reached (`zzz`) into one it has already passed (`aaa`) is seen at
 * neither place; only the move journal, drained at the end of phase 1, gets its chunks marked.
 * Every chunk is made old first, so anything left unmarked is swept.
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { garbageCollection } from "./gc";
import { collectingLog } from "../model/log";
import { journalLock, readMoveJournal } from "../move/move-journal";
import { hasLockWaiters } from "../../platform/lock-waiters";
import { waitUntil } from "../../tasks/test-support/env";
import { deferred } from "../test-support/deferred";
import { moveGroup, type MoveTestOptions } from "../move/move-group";
import { BackupNamespace } from "../model/names";
import { openDatastore } from "../open";
import { ageAllChunks, checkAllIndexes, snapshotIndexFiles } from "../test-support/gc-chunks";
import { useTempStore, withWrite, writeSnapshot, type TempStore } from "../test-support/temp-store";

const UPID = "UPID:testnode:00001234:00000001:00000000:65000000:garbage_collection:store1:root@pam:";
const T0 = 1_700_000_000;
const KiB64 = 64 * 1024;
const ns = (s: string) => BackupNamespace.parse(s);

let t: TempStore;
beforeEach(async () => {
  t = await useTempStore();
  await withWrite(t.name, async (ds) => {
    await ds.createNamespace(BackupNamespace.root, "aaa");
    await ds.createNamespace(BackupNamespace.root, "zzz");
    await writeSnapshot(ds, "", "vm/1", T0, { image: randomBytes(KiB64) });
    await writeSnapshot(ds, "aaa", "vm/200", T0, { image: randomBytes(2 * KiB64) });
    // The group that moves: two snapshots, each with chunks of its own.
    await writeSnapshot(ds, "zzz", "vm/100", T0, { image: randomBytes(3 * KiB64) });
    await writeSnapshot(ds, "zzz", "vm/100", T0 + 60, { image: randomBytes(3 * KiB64) });
  });
  ageAllChunks(t.path, 2 * 86400);
});
afterEach(async () => {
  await t.cleanup();
});

/**
 * Runs GC; `pauseAt` picks the moment the move happens: before the walk reaches namespace `zzz`
 * (after the root and `aaa`), or right after the index listing, before any namespace is walked.
 * `journal` is the move's test seam: write the journal before the renames (production), after
 * them, or not at all.
 */
async function gcWithMove(pauseAt: "before-zzz" | "after-index-list", journal: MoveTestOptions["journal"] = "before-rename") {
  const log = collectingLog();
  const ds = await openDatastore(t.name, "write");
  const walked: string[] = [];
  const move = async () => {
    await moveGroup(ds, ns("zzz"), { type: "vm", id: "100" }, ns("aaa"), true, collectingLog(), undefined, { journal });
  };
  try {
    const status = await garbageCollection(ds, {
      upid: UPID,
      log,
      skipAtimeCheck: true, // the race does not depend on it; saves a second per run
      hooks: {
        afterIndexList: async () => {
          if (pauseAt === "after-index-list") await move();
        },
        beforeNamespace: async (n) => {
          walked.push(n.toString());
          if (pauseAt === "before-zzz" && n.toString() === "zzz") await move();
        },
      },
    });
    return { status, walked, lines: log.lines.map((l) => l.message) };
  } finally {
    await ds.close();
  }
}

/**
 * GC inside one move batch: the move stops between its journal write and its renames (in the
 * order `journal` says) while GC walks `zzz`. With the journal written first, the move holds
 * the journal's lock across its renames, so GC's drain waits for them (the move goes on once GC
 * waits for the lock): the snapshots are still at the source when GC walks it, and at their new
 * place, journalled, when it drains. Written after the renames, the journal is not yet locked
 * at the pause: GC drains and sweeps before the move journals, and the moved snapshots are
 * already gone from `zzz` when GC walks it.
 */
async function gcInsideMoveBatch(journal: "before-rename" | "after-rename") {
  const ds = await openDatastore(t.name, "write");
  const reachedMidpoint = deferred();
  const gcDone = deferred();
  let moveDone: Promise<void> | undefined;
  try {
    const status = await garbageCollection(ds, {
      upid: UPID,
      log: collectingLog(),
      skipAtimeCheck: true,
      hooks: {
        beforeNamespace: async (n) => {
          if (n.toString() !== "zzz") return;
          moveDone = moveGroup(ds, ns("zzz"), { type: "vm", id: "100" }, ns("aaa"), true, collectingLog(), undefined, {
            journal,
            midBatch: async () => {
              reachedMidpoint.resolve();
              await Promise.race([gcDone.promise, waitUntil(() => hasLockWaiters(path.resolve(journalLock(t.name))), 20_000, "GC waiting for the journal", 5)]);
            },
          });
          moveDone.catch(reachedMidpoint.reject);
          await reachedMidpoint.promise;
        },
      },
    });
    gcDone.resolve();
    await moveDone;
    return status;
  } finally {
    gcDone.resolve();
    await ds.close();
  }
}

describe("GC racing a group move", () => {
  it("keeps every chunk of a group moved into an already walked namespace, through the move journal", async () => {
    const { status, walked, lines } = await gcWithMove("before-zzz");

    expect(walked).toEqual(["", "aaa", "zzz"]);
    // The move happened: the group is in `aaa` now, after GC had walked it.
    expect(snapshotIndexFiles(t.path).filter((f) => f.includes("/ns/aaa/vm/100/"))).toHaveLength(2);
    expect(lines).toContain("marked chunks of 2 moved index files from the move journal (2 entries)");
    const check = checkAllIndexes(t.path);
    expect(check.indexes).toBe(4);
    expect(check.chunks).toBe(1 + 2 + 3 + 3);
    expect(check.missing).toEqual([]);
    expect(check.corrupt).toEqual([]);
    expect(status["removed-chunks"]).toBe(0);
    expect(await readMoveJournal(t.name)).toEqual([]);
  });

  it("loses the moved group's chunks without the journal (the test can fail)", async () => {
    const { status, walked } = await gcWithMove("before-zzz", "off");

    expect(walked).toEqual(["", "aaa", "zzz"]);
    const check = checkAllIndexes(t.path);
    // Exactly the six chunks of the two moved snapshots were swept; the rest survived.
    expect(check.missing).toHaveLength(6);
    expect(check.missing.every((m) => m.includes("/ns/aaa/vm/100/"))).toBe(true);
    expect(status["removed-chunks"]).toBe(6);
  });

  it("needs no journal for a move that lands before the walk starts: the walk finds it at its new place", async () => {
    const { lines } = await gcWithMove("after-index-list", "off");

    expect(checkAllIndexes(t.path).missing).toEqual([]);
    expect(lines.filter((l) => l.startsWith("Encountered new index file '"))).toHaveLength(2);
  });

  it("loses nothing when GC reaches its drain between a batch's journal write and its renames: the drain waits", async () => {
    const status = await gcInsideMoveBatch("before-rename");

    // The move finished after GC: both snapshots are in `aaa`, every chunk is still there.
    expect(snapshotIndexFiles(t.path).filter((f) => f.includes("/ns/aaa/vm/100/"))).toHaveLength(2);
    expect(snapshotIndexFiles(t.path).filter((f) => f.includes("/ns/zzz/"))).toEqual([]);
    const check = checkAllIndexes(t.path);
    expect(check.indexes).toBe(4);
    expect(check.missing).toEqual([]);
    expect(status["removed-chunks"]).toBe(0);
  });

  it("loses the batch's chunks when the journal is written after the renames (the order matters)", async () => {
    const status = await gcInsideMoveBatch("after-rename");

    const check = checkAllIndexes(t.path);
    expect(check.missing).toHaveLength(6);
    expect(check.missing.every((m) => m.includes("/ns/aaa/vm/100/"))).toBe(true);
    expect(status["removed-chunks"]).toBe(6);
  });
});
