/**
 * Scale: group.list over a namespace with 10,000 groups and snapshot.list over a group with
 * 5,000 snapshots page, filter and sort correctly (server/datastore/listing-page.ts). No timing
 * assertions; the durations are printed for the record.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIG_SNAPSHOT_STEP, BIG_T0, buildBigNamespace, type BigNamespace } from "../../datastore/test-support/big-namespace";
import { useTempStore, type TempStore } from "../../datastore/test-support/temp-store";
import { createUser } from "../../auth";
import { caller } from "../test-support";

const STORE = "scale";
let temp: TempStore;
let big: BigNamespace;

beforeAll(async () => {
  temp = await useTempStore(STORE);
  big = await buildBigNamespace(STORE);
  await createUser("backup@pbs"); // an owner the test hands a group to must exist (PBS)
  console.info(`built ${big.groups} groups and a group of ${big.snapshots} snapshots in ${big.ms} ms`);
}, 120_000);
afterAll(async () => {
  await temp?.cleanup();
});

/** Runs `fn` and prints how long it took. */
async function timed<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const t = performance.now();
  const out = await fn();
  console.info(`${what}: ${Math.round(performance.now() - t)} ms`);
  return out;
}

const groups = (more: Record<string, unknown> = {}) => caller().group.list({ store: STORE, ns: big.ns, ...more });
const ids = (items: { "backup-id": string }[]) => items.map((g) => Number(g["backup-id"]));
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

describe("group.list of a namespace with 10,000 groups", () => {
  it("returns a page of the asked size in numeric id order, with the full total", async () => {
    const first = await timed("group.list first page", () => groups({ offset: 0, limit: 100 }));
    expect(first.total).toBe(10_000);
    expect(ids(first.items)).toEqual(range(1, 100));
    expect(first.items[0]).toMatchObject({ "backup-type": "vm", "backup-count": 0, owner: "root@pam" });
  });

  it("answers a far page and the end", async () => {
    const far = await timed("group.list offset 9,900", () => groups({ offset: 9_900, limit: 100 }));
    expect(far.total).toBe(10_000);
    expect(ids(far.items)).toEqual(range(9_901, 100));
    expect(far.items.at(-1)).toMatchObject({ "backup-id": String(big.groups), "backup-count": big.snapshots });
    const tail = await groups({ offset: 9_990, limit: 100 });
    expect(ids(tail.items)).toEqual(range(9_991, 10));
    expect((await groups({ offset: 10_000, limit: 100 })).items).toEqual([]);
    const desc = await groups({ desc: true, offset: 0, limit: 3 });
    expect(ids(desc.items)).toEqual([10_000, 9_999, 9_998]);
  });

  it("filters by owner and by id, and pages the filtered list", async () => {
    const byOwner = await timed("group.list filter backup@pbs, first page", () => groups({ filter: "backup@pbs", offset: 0, limit: 50 }));
    // Every 10th id but the last, the history group, which root@pam owns.
    expect(byOwner.total).toBe(999);
    expect(ids(byOwner.items)).toEqual(range(1, 50).map((i) => i * 10));
    const farFiltered = await timed("group.list filter backup@pbs, offset 950", () =>
      groups({ filter: "backup@pbs", offset: 950, limit: 100 }),
    );
    expect(farFiltered.total).toBe(999);
    expect(ids(farFiltered.items)).toEqual(range(951, 49).map((i) => i * 10));
    expect(farFiltered.items.every((g) => g.owner === "backup@pbs")).toBe(true);

    const byId = await timed("group.list filter vm/999", () => groups({ filter: "vm/999", limit: 100 }));
    expect(ids(byId.items)).toEqual([999, 9_990, 9_991, 9_992, 9_993, 9_994, 9_995, 9_996, 9_997, 9_998, 9_999]);
    expect(byId.total).toBe(11);
    expect(await groups({ filter: "no-such-group" })).toEqual({ items: [], total: 0 });
  });

  it("pages a filtered list again from the cache, and sees notes and owners changed a moment ago", async () => {
    const filter = { filter: "backup@pbs", offset: 500, limit: 100 };
    const again = await timed("group.list filter backup@pbs, offset 500 (cache warm)", () => groups(filter));
    expect(again.total).toBe(999);
    expect(ids(again.items)).toEqual(range(501, 100).map((i) => i * 10));

    // vm/4242's owner and notes are cached now; changing them changes the group directory.
    const vm4242 = { store: STORE, ns: big.ns, group: { type: "vm" as const, id: "4242" } };
    await caller().group.setNotes({ ...vm4242, notes: "Scale probe\nsecond line" });
    expect(ids((await groups({ filter: "scale probe" })).items)).toEqual([4242]);
    await caller().group.setOwner({ ...vm4242, owner: "backup@pbs" });
    const owned = await groups({ filter: "backup@pbs", limit: 1000 });
    expect(owned.total).toBe(1_000);
    expect(ids(owned.items)).toContain(4242);
    await caller().group.setNotes({ ...vm4242, notes: "" });
    expect((await groups({ filter: "scale probe" })).total).toBe(0);
    await caller().group.setOwner({ ...vm4242, owner: "root@pam" });
    expect((await groups({ filter: "backup@pbs" })).total).toBe(999);
  });

  it("sorts by snapshot count and last backup over all groups", async () => {
    const byCount = await timed("group.list sort backup-count desc", () => groups({ sort: "backup-count", desc: true, limit: 101 }));
    expect(byCount.total).toBe(10_000);
    // The history group first, then the 99 groups with one snapshot (every 100th id), then empty ones.
    expect(byCount.items.map((g) => g["backup-count"])).toEqual([big.snapshots, ...Array(99).fill(1), 0]);
    const byLast = await timed("group.list sort last-backup desc, offset 9,900", () =>
      groups({ sort: "last-backup", desc: true, offset: 9_900, limit: 100 }),
    );
    expect(byLast.items).toHaveLength(100);
    expect(byLast.items.every((g) => g["last-backup"] === 0)).toBe(true);
    const newest = (await groups({ sort: "last-backup", desc: true, limit: 1 })).items[0]!;
    expect(newest).toMatchObject({
      "backup-id": String(big.groups),
      "last-backup": BIG_T0 + (big.snapshots - 1) * BIG_SNAPSHOT_STEP,
    });
  });
});

describe("snapshot.list of a group with 5,000 snapshots", () => {
  const snapshots = (more: Record<string, unknown> = {}) =>
    caller().snapshot.list({ store: STORE, ns: big.ns, group: big.history, ...more });
  const times = (items: { "backup-time": number }[]) => items.map((s) => s["backup-time"]);
  const at = (i: number) => BIG_T0 + i * BIG_SNAPSHOT_STEP;

  it("pages newest first with the full total", async () => {
    const first = await timed("snapshot.list first page", () => snapshots({ offset: 0, limit: 100 }));
    expect(first.total).toBe(5_000);
    expect(times(first.items)).toEqual(range(0, 100).map((i) => at(4_999 - i)));
    expect(first.items[0]).toMatchObject({ owner: "root@pam" });
    expect(first.items[0]!.size).toBeGreaterThan(0);
  });

  it("answers a far page, the end and ascending order", async () => {
    const far = await timed("snapshot.list offset 4,900", () => snapshots({ offset: 4_900, limit: 100 }));
    expect(far.total).toBe(5_000);
    expect(times(far.items)).toEqual(range(0, 100).map((i) => at(99 - i)));
    expect(times((await snapshots({ offset: 4_995, limit: 100 })).items)).toEqual([4, 3, 2, 1, 0].map(at));
    const asc = await snapshots({ ascending: true, offset: 2_500, limit: 3 });
    expect(times(asc.items)).toEqual([2_500, 2_501, 2_502].map(at));
  });
});
