/**
 * Sorting groups by last backup, snapshot count or owner uses cached sort keys (issue 12,
 * listing-page.ts SortKeys): the cache must follow every change that moves a group in those
 * orders. Group directories are dated back an hour so that their keys are cached at once (a
 * directory changed within the last second is never trusted), then each change is made for
 * real through the engine.
 */
import { utimesSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { SnapshotWriter } from "../../datastore";
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
