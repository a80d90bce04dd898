/**
 * Listings during real moves (issue 12, "Reads never wait on writers"): a namespace is moved
 * back and forth while listings of its source and target run beside every batch's renames and
 * in a loop of their own. No listing may fail; a group is in the source or the target (read
 * in that order, so it cannot slip between the two), never twice in one listing; a group whose
 * lock the move holds is marked `moving`.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { setLockOwnerTask } from "../../platform/file-lock";
import { collectingLog } from "../model/log";
import { moveNamespace } from "../move/move-namespace";
import { BackupNamespace, groupPath } from "../model/names";
import { openDatastore, type ReadHandle } from "../open";
import { pageGroups, pageSnapshots } from "./listing-page";
import { useTempStore, withWrite, writeSnapshot, type TempStore } from "../test-support/temp-store";
import type { GroupListItem } from "../model/types";

let t: TempStore;
beforeEach(async () => {
  t = await useTempStore();
});
afterEach(async () => {
  setLockOwnerTask(undefined);
  await t.cleanup();
});

const T0 = 1_700_000_000;
const GROUPS = ["ct/200", "host/web", "vm/100", "vm/101", "vm/102"];
const SNAPSHOTS = 3;
const ns = (s: string) => BackupNamespace.parse(s);

/** A namespace's groups, or none when the namespace itself does not exist (yet, or any more). */
async function groupsOf(ds: ReadHandle, where: string): Promise<GroupListItem[]> {
  try {
    return await ds.listGroups(ns(where));
  } catch (err) {
    if ((err as Error).message === `namespace '${where}' does not exist`) return [];
    throw err;
  }
}

interface Seen {
  listings: number;
  moving: number;
}

/** Lists source then target (groups, snapshots, a sorted page) and checks what it saw. */
async function listBoth(ds: ReadHandle, source: string, target: string, seen: Seen): Promise<void> {
  const fromSource = await groupsOf(ds, source);
  const fromTarget = await groupsOf(ds, target);
  for (const list of [fromSource, fromTarget]) {
    const names = list.map((g) => `${g["backup-type"]}/${g["backup-id"]}`);
    expect(new Set(names).size).toBe(names.length);
    seen.moving += list.filter((g) => g.moving).length;
  }
  const union = new Set([...fromSource, ...fromTarget].map((g) => `${g["backup-type"]}/${g["backup-id"]}`));
  expect([...union].sort()).toEqual([...GROUPS].sort());
  // The other listings the console uses must not fail either (what they return may be partial).
  for (const where of [source, target]) {
    for (const g of await groupsOf(ds, where)) {
      const ref = { type: g["backup-type"], id: g["backup-id"] };
      await ds.listSnapshots(ns(where)).catch(namespaceGone(where));
      await pageGroups(ds, ns(where), { offset: 0, limit: 50, sort: "last-backup" }).catch(namespaceGone(where));
      await pageSnapshots(ds, ns(where), ref, { offset: 0, limit: 50 }).catch(groupGone(where, groupPath(ref)));
    }
  }
  seen.listings++;
}

const namespaceGone = (where: string) => (err: Error) => {
  if (err.message !== `namespace '${where}' does not exist`) throw err;
};
/** A group named by the caller that moved away as a whole is NOT_FOUND, as it should be. */
const groupGone = (where: string, group: string) => (err: Error & { code?: string }) => {
  if (err.message !== `group '${group}' does not exist in namespace '${where}'` && err.message !== `namespace '${where}' does not exist`) throw err;
};

/** Resolves with the error instead of rejecting, so a listing that fails mid-move is reported once, by the test. */
const settled = (p: Promise<void>): Promise<unknown> => p.then(() => undefined, (err: unknown) => err ?? new Error("rejected"));

describe("listing while a namespace moves", () => {
  it("never fails, finds every group in the source or the target, and marks the moving one", async () => {
    await withWrite(t.name, async (ds) => {
      await ds.createNamespace(BackupNamespace.root, "a");
      for (const g of GROUPS) for (let i = 0; i < SNAPSHOTS; i++) await writeSnapshot(ds, "a", g, T0 + i * 60);
    });
    // What a move task records in the locks it takes (the listing recognises moves by it).
    setLockOwnerTask(`UPID:test:${process.pid.toString(16).toUpperCase().padStart(8, "0")}:00000001:00000000:65000000:move-namespace:${t.name}\\x3aa:root@pam:`);
    const reader = await openDatastore(t.name, "read");
    const seen: Seen = { listings: 0, moving: 0 };
    try {
      let [source, target] = ["a", "b"];
      for (let round = 0; round < 6; round++) {
        let moving = true;
        const racing: Promise<unknown>[] = [];
        // A loop of listings that runs while the move does...
        const loop = settled(
          (async () => {
            while (moving) {
              await listBoth(reader, source, target, seen);
              // Let the move's I/O events run between listings, as a client's next request
              // arrives (local metadata calls complete synchronously: without this the loop
              // would never give the event loop back).
              await new Promise<void>((resolve) => setImmediate(resolve));
            }
          })(),
        );
        await withWrite(t.name, async (ds) => {
          await moveNamespace(ds, ns(source), ns(target), {}, collectingLog(), undefined, {
            midBatch: async () => {
              // ...one that starts with this batch's renames, and one that sees the batch locked.
              racing.push(settled(listBoth(reader, source, target, seen)));
              const locked: Seen = { listings: 0, moving: 0 };
              await listBoth(reader, source, target, locked);
              expect(locked.moving).toBeGreaterThanOrEqual(1);
              seen.listings += locked.listings;
              seen.moving += locked.moving;
            },
          });
        });
        moving = false;
        for (const outcome of [await loop, ...(await Promise.all(racing))]) if (outcome) throw outcome;
        // Once the move is done, everything is in the target, unmarked.
        const after = await groupsOf(reader, target);
        expect(after.map((g) => `${g["backup-type"]}/${g["backup-id"]}`).sort()).toEqual([...GROUPS].sort());
        expect(after.every((g) => !g.moving && g["backup-count"] === SNAPSHOTS)).toBe(true);
        [source, target] = [target, source];
      }
    } finally {
      await reader.close();
    }
    expect(seen.listings).toBeGreaterThanOrEqual(6 * GROUPS.length * 2);
    expect(seen.moving).toBeGreaterThanOrEqual(6 * GROUPS.length);
  }, 180_000);
});
