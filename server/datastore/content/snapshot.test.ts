import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLockedGroup } from "./group";
import { readLockHolders } from "../../platform/file-lock";
import { lockGroup } from "../locking/locks";
import { groupLockPath } from "../locking/lock-names";
import { BackupNamespace } from "../model/names";
import { storeOf } from "../open";
import { useTempStore, withWrite, writeSnapshot, type TempStore } from "../test-support/temp-store";

const root = BackupNamespace.root;
const vm100 = { type: "vm" as const, id: "100" };
const T0 = 1_700_000_000;
let t: TempStore;

beforeEach(async () => {
  t = await useTempStore();
});
afterEach(async () => {
  await t.cleanup();
});

describe("groups", () => {
  it("lists every group in PBS order, empty groups included", async () => {
    await withWrite(t.name, async (ds) => {
      await writeSnapshot(ds, "", "vm/100", T0);
      await writeSnapshot(ds, "", "vm/20", T0);
      await writeSnapshot(ds, "", "host/gw", T0);
      await writeSnapshot(ds, "", "ct/5", T0);
      const empty = await createLockedGroup(storeOf(ds), root, { type: "ct", id: "empty" }, "backup@pbs");
      await empty.guard.release();
      // not a group: an invalid id and a plain file are skipped
      mkdirSync(path.join(t.path, "vm", ".hidden"));
      writeFileSync(path.join(t.path, "vm", "file"), "");
      const groups = await ds.listGroups(root);
      expect(groups.map((g) => `${g["backup-type"]}/${g["backup-id"]}`)).toEqual([
        "ct/5",
        "ct/empty",
        "host/gw",
        "vm/20",
        "vm/100",
      ]);
      const e = groups[1]!;
      expect(e).toMatchObject({ "backup-count": 0, "last-backup": 0, files: [], owner: "backup@pbs" });
    });
  });

  it("writes the owner file as PBS does and keeps group notes, showing their first line", async () => {
    await withWrite(t.name, async (ds) => {
      await writeSnapshot(ds, "", "vm/100", T0, { owner: "alice@pbs!tok" });
      expect(readFileSync(path.join(t.path, "vm/100/owner"), "utf8")).toBe("alice@pbs!tok\n");
      await ds.setGroupNotes(root, vm100, "first line\nsecond line");
      expect(readFileSync(path.join(t.path, "vm/100/notes"), "utf8")).toBe("first line\nsecond line");
      expect(await ds.groupNotes(root, vm100)).toBe("first line\nsecond line");
      const [g] = await ds.listGroups(root);
      expect(g).toMatchObject({ owner: "alice@pbs!tok", comment: "first line", "backup-count": 1, "last-backup": T0 });
      await ds.setGroupOwner(root, vm100, "bob@pbs");
      expect(await ds.groupOwner(root, vm100)).toBe("bob@pbs");
      await expect(ds.setGroupOwner(root, vm100, "not an authid")).rejects.toThrow(/invalid auth id/);
    });
  });

  it("refuses to set notes while the group is locked, naming the holder", async () => {
    await withWrite(t.name, async (ds) => {
      await writeSnapshot(ds, "", "vm/100", T0);
      const guard = await lockGroup(t.name, root, vm100);
      try {
        await expect(ds.setGroupNotes(root, vm100, "x")).rejects.toThrow(
          new RegExp(`failed to lock backup group: unable to acquire backup group lock .*held by pid ${process.pid}`),
        );
      } finally {
        await guard.release();
      }
    });
  });

  it("destroys a group, keeping protected snapshots and the group around them", async () => {
    await withWrite(t.name, async (ds) => {
      await writeSnapshot(ds, "", "vm/100", T0, { protect: true });
      await writeSnapshot(ds, "", "vm/100", T0 + 60);
      await writeSnapshot(ds, "", "vm/100", T0 + 120);
      expect(await ds.destroyGroup(root, vm100)).toEqual({
        "removed-groups": 0,
        "removed-snapshots": 2,
        "protected-snapshots": 1,
      });
      expect(readdirSync(path.join(t.path, "vm/100")).sort()).toEqual(["2023-11-14T22:13:20Z", "owner"]);
      await ds.setSnapshotProtected(root, { ...vm100, time: T0 }, false);
      expect(await ds.destroyGroup(root, vm100)).toEqual({
        "removed-groups": 1,
        "removed-snapshots": 1,
        "protected-snapshots": 0,
      });
      expect(existsSync(path.join(t.path, "vm/100"))).toBe(false);
      expect(existsSync(groupLockPath(t.name, root, vm100))).toBe(false);
    });
  });
});

describe("snapshots", () => {
  it("tells finished from unfinished snapshots and lists files with sizes", async () => {
    await withWrite(t.name, async (ds) => {
      await writeSnapshot(ds, "", "vm/100", T0, { image: Buffer.alloc(200_000, 7), notes: "before upgrade\nmore" });
      await writeSnapshot(ds, "", "vm/100", T0 + 60, { finish: false });
      // a directory that only looks like a snapshot is ignored
      mkdirSync(path.join(t.path, "vm/100/not-a-time"));
      const snaps = await ds.listSnapshots(root, vm100);
      expect(snaps.map((s) => [s["backup-time"], s.finished])).toEqual([
        [T0, true],
        [T0 + 60, false],
      ]);
      const [done, partial] = snaps;
      expect(done!.files.map((f) => f.filename)).toEqual(["test.conf.blob", "disk.img.fidx", "index.json.blob"]);
      expect(done!.files.find((f) => f.filename === "disk.img.fidx")!.size).toBe(200_000);
      expect(done!.comment).toBe("before upgrade");
      expect(done!.owner).toBe("root@pam");
      expect(partial!.files.map((f) => f.filename)).toEqual(["test.conf.blob"]);
      expect(partial!.size).toBeGreaterThan(0);
      const group = await ds.group(root, vm100);
      expect(group).toMatchObject({ "backup-count": 2, "last-backup": T0 });
      expect(group.files).toEqual(["disk.img.fidx", "index.json.blob", "test.conf.blob"]);
    });
  });

  it("keeps snapshot notes in the manifest's unprotected part", async () => {
    await withWrite(t.name, async (ds) => {
      await writeSnapshot(ds, "", "vm/100", T0);
      const snap = { ...vm100, time: T0 };
      const before = await ds.readManifest(root, snap);
      await ds.setSnapshotNotes(root, snap, "hello\nworld");
      const after = await ds.readManifest(root, snap);
      expect(after.unprotected.notes).toBe("hello\nworld");
      expect(after.files).toEqual(before.files);
      expect(await ds.snapshotNotes(root, snap)).toBe("hello\nworld");
      await expect(ds.setSnapshotNotes(root, { ...vm100, time: T0 + 1 }, "x")).rejects.toThrow(/does not exist/);
    });
  });

  it("refuses to delete a protected snapshot; removing the last one removes the group", async () => {
    await withWrite(t.name, async (ds) => {
      await writeSnapshot(ds, "", "vm/100", T0);
      await writeSnapshot(ds, "", "vm/100", T0 + 60);
      await ds.setGroupNotes(root, vm100, "notes go with the group");
      const old = { ...vm100, time: T0 };
      await ds.setSnapshotProtected(root, old, true);
      expect(existsSync(path.join(t.path, "vm/100/2023-11-14T22:13:20Z/.protected"))).toBe(true);
      await expect(ds.destroySnapshot(root, old)).rejects.toThrow("cannot remove protected snapshot");
      await ds.destroySnapshot(root, { ...vm100, time: T0 + 60 });
      expect(existsSync(path.join(t.path, "vm/100"))).toBe(true);
      await ds.setSnapshotProtected(root, old, false);
      await ds.destroySnapshot(root, old);
      expect(existsSync(path.join(t.path, "vm/100"))).toBe(false);
      expect(existsSync(path.join(t.path, "vm"))).toBe(true);
    });
  });

  it("keeps the emptied group while a writer holds its lock", async () => {
    await withWrite(t.name, async (ds) => {
      await writeSnapshot(ds, "", "vm/100", T0);
      const guard = await lockGroup(t.name, root, vm100);
      try {
        await ds.destroySnapshot(root, { ...vm100, time: T0 });
        expect(existsSync(path.join(t.path, "vm/100/owner"))).toBe(true);
        expect(await readLockHolders(guard.path)).toHaveLength(1);
      } finally {
        await guard.release();
      }
    });
  });
});
