/**
 * Sorting groups by last backup, snapshot count or owner uses cached sort keys, and every page
 * uses cached group items (issue 12, listing-page.ts SortKeys and ItemEntry): the caches must
 * follow every change that moves a group in those orders or changes what its row shows. Group directories are dated back an hour so that their keys are cached at once (a
 * directory changed within the last second is never trusted), then each change is made for
 * real through the engine.
 */
import { utimesSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { lockGroup, SnapshotWriter } from "../../datastore";
import { setLockOwnerTask } from "../../platform/file-lock";
import { createUpid, formatUpid } from "../../tasks/core/upid";
import { addActiveTask, updateActiveTasks } from "../../tasks/core/task-list";
import { groupLockPath } from "../../datastore/locking/lock-names";
import { BackupNamespace } from "../../datastore/model/names";
import { withWrite, writeSnapshot } from "../../datastore/test-support/temp-store";
import { createUser } from "../../auth";
import { caller, useDemoHome } from "../test-support";

useDemoHome();

const STORE = "demo";
const NS = "prod";
const sorted = async (sort: "last-backup" | "backup-count" | "owner") =>
  (await caller().group.list({ store: STORE, ns: NS, sort, desc: true, limit: 1000 })).items.map((g) => `${g["backup-type"]}/${g["backup-id"]}`);

async function ageGroupDirs() {
  const root = (await caller().datastore.get({ store: STORE })).path;
  const hourAgo = new Date(Date.now() - 3_600_000);
  for (const g of (await caller().group.list({ store: STORE, ns: NS, limit: 1000 })).items) {
    utimesSync(path.join(root, "ns", NS, g["backup-type"], g["backup-id"]), hourAgo, hourAgo);
  }
}

describe("sorted group listings follow changes to what they sort by", () => {
  it("a new snapshot moves its group to the front by last backup and by count", async () => {
    await ageGroupDirs();
    const before = await sorted("last-backup");
    expect(await sorted("last-backup")).toEqual(before); // served from the cache, same answer
    // Not vm/200: the demo leaves an unfinished snapshot there, so its keys are never cached.
    const last = before.filter((g) => g !== "vm/200").at(-1)!;
    const newest = Math.floor(Date.now() / 1000);
    await withWrite(STORE, (ds) => writeSnapshot(ds, NS, last, newest));
    expect((await sorted("last-backup"))[0]).toBe(last);
  });

  it("a backup that finishes inside an unchanged group directory moves it too", async () => {
    const before = await sorted("last-backup");
    const group = before.filter((g) => g !== "vm/200").at(-1)!;
    const [type, id] = group.split("/") as ["vm" | "ct" | "host", string];
    const owner = (await caller().group.list({ store: STORE, ns: NS, limit: 1000 })).items.find((g) => g["backup-id"] === id)!.owner!;
    const time = Math.floor(Date.now() / 1000) + 60;
    await withWrite(STORE, async (ds) => {
      const w = await SnapshotWriter.begin(ds, BackupNamespace.parse(NS), { type, id }, { authId: owner, backupTime: time });
      await w.writeBlob("test.conf", Buffer.from("late\n"));
      await ageGroupDirs(); // the group directory now looks old and settled
      expect(await sorted("last-backup")).toEqual(before); // unfinished: not its last backup yet
      await w.finish({});
    });
    // Finishing wrote only inside the snapshot's directory: the group directory's mtime is unchanged.
    expect((await sorted("last-backup"))[0]).toBe(group);
  });

  it("a new owner moves the group in the owner order", async () => {
    await createUser("aaa@pbs", { password: "aaa-secret-1" });
    await ageGroupDirs();
    const before = await sorted("owner");
    const group = before[0]!;
    const [type, id] = group.split("/") as ["vm" | "ct" | "host", string];
    await caller().group.setOwner({ store: STORE, ns: NS, group: { type, id }, owner: "aaa@pbs" });
    // Descending by owner: aaa@pbs sorts after every other owner here.
    expect((await sorted("owner")).at(-1)).toBe(group);
  });
});

describe("a page's cached group rows follow every change to what they show", () => {
  const row = async (group: string) =>
    (await caller().group.list({ store: STORE, ns: NS, limit: 1000 })).items.find((g) => `${g["backup-type"]}/${g["backup-id"]}` === group)!;
  const split = (group: string) => group.split("/") as ["vm" | "ct" | "host", string];
  /** A group root@pam owns (writeSnapshot writes as root@pam) without the demo's unfinished snapshot. */
  /** The group these tests change, one after another (the first one picks it). */
  let group = "";
  const rootGroup = async () => {
    const g = (await caller().group.list({ store: STORE, ns: NS, limit: 1000 })).items.find((x) => x.owner === "root@pam" && x["backup-id"] !== "200")!;
    return `${g["backup-type"]}/${g["backup-id"]}`;
  };

  it("a new snapshot, new notes and a new owner show at once", async () => {
    await ageGroupDirs();
    group = await rootGroup();
    const first = await row(group);
    expect(await row(group)).toEqual(first); // served from the cache, same answer
    const newest = Math.floor(Date.now() / 1000);
    await withWrite(STORE, (ds) => writeSnapshot(ds, NS, group, newest));
    expect(await row(group)).toMatchObject({ "backup-count": first["backup-count"] + 1, "last-backup": newest });

    await ageGroupDirs();
    await row(group); // cached again
    const [type, id] = split(group);
    await caller().group.setNotes({ store: STORE, ns: NS, group: { type, id }, notes: "moved to rack 4\nsecond line" });
    expect((await row(group)).comment).toBe("moved to rack 4");

    await createUser("bbb@pbs", { password: "bbb-secret-1" });
    await ageGroupDirs();
    await row(group);
    await caller().group.setOwner({ store: STORE, ns: NS, group: { type, id }, owner: "bbb@pbs" });
    expect((await row(group)).owner).toBe("bbb@pbs");
  });

  it("a backup that finishes inside an unchanged group directory shows as its last backup", async () => {
    const [type, id] = split(group);
    const owner = (await row(group)).owner!;
    const time = Math.floor(Date.now() / 1000) + 120;
    await withWrite(STORE, async (ds) => {
      const w = await SnapshotWriter.begin(ds, BackupNamespace.parse(NS), { type, id }, { authId: owner, backupTime: time });
      await w.writeBlob("late.conf", Buffer.from("late\n"));
      await ageGroupDirs();
      expect((await row(group))["last-backup"]).toBeLessThan(time); // unfinished: not its last backup
      await w.finish({});
    });
    expect(await row(group)).toMatchObject({ "last-backup": time, files: expect.arrayContaining(["late.conf.blob"]) });
  });

  /** A move task of the store in the active task list while `fn` runs, as a running move is. */
  async function moveListed(fn: (upid: string) => Promise<void>): Promise<void> {
    const upid = formatUpid(createUpid("move-group", `${STORE}:${NS}/${group}`, "root@pam"));
    await addActiveTask(upid);
    try {
      await fn(upid);
    } finally {
      await updateActiveTasks({ upid, state: { state: "ok", endtime: Math.floor(Date.now() / 1000) } });
    }
  }

  /** Holds the group's lock as the move task `upid` would. */
  async function holdAs(upid: string, fn: () => Promise<void>): Promise<void> {
    const [type, id] = split(group);
    setLockOwnerTask(upid);
    const guard = await lockGroup(STORE, BackupNamespace.parse(NS), { type, id });
    try {
      await fn();
    } finally {
      await guard.release();
      setLockOwnerTask(undefined);
    }
  }

  const holdAsMove = (listed: boolean, fn: () => Promise<void>) =>
    listed ? moveListed((upid) => holdAs(upid, fn)) : holdAs(formatUpid(createUpid("move-group", `${STORE}:${NS}/${group}`, "root@pam")), fn);

  it("a row whose lock directory was empty a while ago is marked moving once a move takes the lock", async () => {
    const [type, id] = split(group);
    await holdAsMove(true, async () => undefined); // leaves the released lock's directory, as a move does
    const lockDir = groupLockPath(STORE, BackupNamespace.parse(NS), { type, id });
    const past = new Date(Date.now() - 10_000);
    utimesSync(lockDir, past, past); // settled: its emptiness may be remembered
    await ageGroupDirs();
    await moveListed(async (upid) => {
      expect((await row(group)).moving).toBeUndefined(); // looked at, and remembered empty
      await holdAs(upid, async () => {
        expect((await row(group)).moving).toBe(true);
      });
    });
  });

  it("a cached row is marked moving while a move holds the group's lock, and not after", async () => {
    await ageGroupDirs();
    expect((await row(group)).moving).toBeUndefined();
    await holdAsMove(true, async () => {
      expect((await row(group)).moving).toBe(true);
    });
    expect((await row(group)).moving).toBeUndefined();
  });

  it("looks at no group's lock while the task list shows no move running on the store", async () => {
    await ageGroupDirs();
    // A lock with a move's UPID whose task is not in the list: no real move holds one (a task
    // enters the list before it takes a lock), so the listing does not look for it.
    await holdAsMove(false, async () => {
      expect((await row(group)).moving).toBeUndefined();
    });
  });
});
