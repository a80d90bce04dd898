/**
 * Filtering groups through the per-group caches (listing-page.ts): a group that vanishes
 * between the directory listing and its stat (moved or destroyed meanwhile) is left out, not an
 * error; the owner limit and the text filter answer from cached text only while the group
 * directory is unchanged.
 */
import { renameSync, utimesSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BackupNamespace, parseGroupPath } from "../model/names";
import { openDatastore, readStoreOf, type ReadHandle } from "../open";
import type { Store } from "../storage/store";
import { useTempStore, withWrite, writeSnapshot, type TempStore } from "../test-support/temp-store";
import { dropListingCaches, filterGroups, pageGroups } from "./listing-page";
import { cacheable } from "./racy-mtime";

let t: TempStore;
const root = BackupNamespace.root;
const T0 = 1_700_000_000;

beforeEach(async () => {
  t = await useTempStore();
  dropListingCaches();
  await withWrite(t.name, async (ds) => {
    await writeSnapshot(ds, "", "vm/1", T0, { owner: "alice@pbs" });
    await writeSnapshot(ds, "", "vm/2", T0, { owner: "bob@pbs" });
    await writeSnapshot(ds, "", "vm/3", T0, { owner: "alice@pbs" });
  });
  // Changed long ago, so the caches trust what they read at once.
  const hourAgo = new Date(Date.now() - 3_600_000);
  for (const id of ["1", "2", "3"]) utimesSync(path.join(t.path, "vm", id), hourAgo, hourAgo);
});
afterEach(async () => {
  await t.cleanup();
});

async function withStore<T>(fn: (store: Store, ds: ReadHandle) => Promise<T>): Promise<T> {
  const ds = await openDatastore(t.name, "read");
  try {
    return await fn(readStoreOf(ds), ds);
  } finally {
    await ds.close();
  }
}

const ids = (refs: { id: string }[]) => refs.map((g) => g.id);

describe("filterGroups", () => {
  it("leaves out a group that is gone by the time it is looked at", async () => {
    const refs = ["vm/1", "vm/2", "vm/3", "vm/4"].map(parseGroupPath); // vm/4 never existed
    await withStore(async (store) => {
      expect(ids(await filterGroups(store, root, refs, { needle: "vm/" }))).toEqual(["1", "2", "3"]);
      expect(ids(await filterGroups(store, root, refs, { needle: "alice" }))).toEqual(["1", "3"]);
      renameSync(path.join(t.path, "vm", "3"), path.join(t.path, "vm", "30")); // moved away meanwhile
      expect(ids(await filterGroups(store, root, refs, { ownerFilter: (o) => o === "alice@pbs" }))).toEqual(["1"]);
    });
  });

  it("sees a new owner although the old one was cached", async () => {
    await withStore(async (store, ds) => {
      expect(ids(await filterGroups(store, root, [parseGroupPath("vm/2")], { needle: "bob" }))).toEqual(["2"]);
      const page = await pageGroups(ds, root, { filter: "alice", offset: 0, limit: 10 });
      expect(page.items.map((g) => g["backup-id"])).toEqual(["1", "3"]);
    });
    await withWrite(t.name, (ds) => ds.setGroupOwner(root, parseGroupPath("vm/2"), "alice@pbs"));
    await withStore(async (_store, ds) => {
      const page = await pageGroups(ds, root, { filter: "alice", offset: 0, limit: 10 });
      expect(page.items.map((g) => g["backup-id"])).toEqual(["1", "2", "3"]);
    });
  });
});

describe("when a group read may be cached (the racy rule)", () => {
  it("keeps a read once the directory's mtime is more than a clock tick old, or two seconds on a file system of whole seconds", () => {
    const now = 1_800_000_000_123.5;
    expect(cacheable({ mtimeMs: now - 60.25 }, now)).toBe(true);
    expect(cacheable({ mtimeMs: now - 20.25 }, now)).toBe(false); // within a tick or two of the kernel's file clock
    expect(cacheable({ mtimeMs: now + 5_000.25 }, now)).toBe(false);
    // Whole seconds: the file system may keep nothing finer, so a change in the same second looks the same.
    expect(cacheable({ mtimeMs: 1_800_000_000_000 - 1_000 }, now)).toBe(false);
    expect(cacheable({ mtimeMs: 1_800_000_000_000 - 3_000 }, now)).toBe(true);
    expect(cacheable(undefined, now)).toBe(false);
  });

  /** Adds a snapshot to vm/1 and puts the directory's mtime back: a change the mtime does not show. */
  async function hiddenChange(mtime: Date): Promise<void> {
    await withWrite(t.name, (ds) => writeSnapshot(ds, "", "vm/1", T0 + 60, { owner: "alice@pbs" }));
    utimesSync(path.join(t.path, "vm", "1"), mtime, mtime);
  }

  const count = () => withStore(async (_s, ds) => (await pageGroups(ds, root, { sort: "backup-count", offset: 0, limit: 10 })).items.find((g) => g["backup-id"] === "1")!["backup-count"]);

  it("reads a group whose directory changed just now anew each time", async () => {
    // Recent (here: in the future, so that a slow machine cannot age it meanwhile): never kept.
    const recent = new Date(Date.now() + 60_000);
    utimesSync(path.join(t.path, "vm", "1"), recent, recent);
    expect(await count()).toBe(1);
    await hiddenChange(recent);
    expect(await count()).toBe(2);
  });

  it("answers from the cache while the directory's mtime stays, once it was old enough (so the rule is what decides)", async () => {
    const old = new Date(Date.now() - 3_600_000 + 0.5);
    utimesSync(path.join(t.path, "vm", "1"), old, old);
    expect(await count()).toBe(1);
    await hiddenChange(old);
    expect(await count()).toBe(1); // the hidden change is not seen: the entry was kept
  });
});
