import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getActiveOperations } from "../state/active-operations";
import { decodeBlob } from "../format/blob";
import { DynamicIndexReader } from "../format/dynamic-index";
import { FixedIndexReader } from "../format/fixed-index";
import { readLockHolders } from "../../platform/file-lock";
import { lockSnapshot } from "../locking/locks";
import { snapshotLockPath } from "../locking/lock-names";
import { BackupNamespace } from "../model/names";
import { storeOf } from "../open";
import { SnapshotWriter } from "./snapshot-writer";
import { killChildren, startChild } from "../test-support/lock-env";
import { useTempStore, withWrite, writeSnapshot, type TempStore } from "../test-support/temp-store";

const root = BackupNamespace.root;
const vm100 = { type: "vm" as const, id: "100" };
const T0 = 1_700_000_000;
let t: TempStore;

beforeEach(async () => {
  t = await useTempStore();
});
afterEach(async () => {
  await killChildren();
  await t.cleanup();
});

async function* once(b: Buffer) {
  yield b;
}

/** Reads a chunk back from the store and checks it hashes to its digest. */
function readChunk(dir: string, digest: Buffer): Buffer {
  const hex = digest.toString("hex");
  const data = decodeBlob(readFileSync(path.join(dir, ".chunks", hex.slice(0, 4), hex)));
  expect(createHash("sha256").update(data).digest("hex")).toBe(hex);
  return data;
}

describe("snapshot writer", () => {
  it("writes fixed, dynamic and blob archives over real chunks, manifest last", async () => {
    const image = Buffer.concat([Buffer.alloc(128 * 1024, 1), Buffer.alloc(100_000, 2)]);
    const stream = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < stream.length; i++) stream[i] = (i * 2654435761) >>> 24;
    await withWrite(t.name, async (ds) => {
      const w = await SnapshotWriter.begin(ds, root, vm100, { authId: "root@pam", backupTime: T0 });
      await w.writeBlob("qemu-server.conf", Buffer.from("cores: 2\n"));
      const fixed = await w.writeFixed("drive-scsi0.img", once(image), { chunkSize: 64 * 1024 });
      expect(fixed).toMatchObject({ size: image.length, chunks: 4 });
      // two identical 64 KiB chunks of ones: the second is deduplicated
      expect(fixed.reusedChunks).toBe(1);
      const dyn = await w.writeDynamic("root.pxar", once(stream));
      expect(dyn.size).toBe(stream.length);
      const snapDir = path.join(t.path, "vm/100/2023-11-14T22:13:20Z");
      expect(existsSync(path.join(snapDir, "index.json.blob"))).toBe(false);
      await w.finish({ notes: "first" });
      expect(readdirSync(snapDir).sort()).toEqual([
        "drive-scsi0.img.fidx",
        "index.json.blob",
        "qemu-server.conf.blob",
        "root.pxar.didx",
      ]);

      const fidx = FixedIndexReader.fromBuffer(readFileSync(path.join(snapDir, "drive-scsi0.img.fidx")));
      expect(fidx.size).toBe(image.length);
      const restored = Buffer.concat(Array.from({ length: fidx.count }, (_, i) => readChunk(t.path, fidx.digest(i))));
      expect(restored.equals(image)).toBe(true);

      const didx = DynamicIndexReader.fromBuffer(readFileSync(path.join(snapDir, "root.pxar.didx")));
      const parts = Array.from({ length: didx.count }, (_, i) => readChunk(t.path, didx.digest(i)));
      expect(Buffer.concat(parts).equals(stream)).toBe(true);

      const m = await ds.readManifest(root, { ...vm100, time: T0 });
      expect(m.files.map((f) => f.filename)).toEqual(["qemu-server.conf.blob", "drive-scsi0.img.fidx", "root.pxar.didx"]);
      expect(m.files[1]).toMatchObject({ size: image.length, csum: fidx.indexChecksum().csum, "crypt-mode": "none" });
      const blobRaw = readFileSync(path.join(snapDir, "qemu-server.conf.blob"));
      expect(m.files[0]).toMatchObject({ size: blobRaw.length, csum: createHash("sha256").update(blobRaw).digest("hex") });
      expect(m.unprotected.notes).toBe("first");
      expect(m.unprotected.chunk_upload_stats).toMatchObject({ duplicates: 1 });
    });
  });

  it("refuses a backup time that is not newer than the last finished snapshot", async () => {
    await withWrite(t.name, async (ds) => {
      await writeSnapshot(ds, "", "vm/100", T0);
      for (const time of [T0, T0 - 1]) {
        await expect(SnapshotWriter.begin(ds, root, vm100, { authId: "root@pam", backupTime: time })).rejects.toThrow(
          "backup timestamp is older than last backup.",
        );
      }
      await writeSnapshot(ds, "", "vm/100", T0 + 1);
    });
  });

  it("checks the owner of an existing group", async () => {
    await withWrite(t.name, async (ds) => {
      await writeSnapshot(ds, "", "vm/100", T0, { owner: "alice@pbs" });
      await expect(SnapshotWriter.begin(ds, root, vm100, { authId: "bob@pbs", backupTime: T0 + 1 })).rejects.toThrow(
        "backup owner check failed (bob@pbs != alice@pbs)",
      );
      // a token's user may write into the token's group
      await writeSnapshot(ds, "", "ct/1", T0, { owner: "alice@pbs!tok" });
      await writeSnapshot(ds, "", "ct/1", T0 + 1, { owner: "alice@pbs" });
    });
  });

  it("holds the group exclusively and the previous snapshot shared while it writes", async () => {
    await withWrite(t.name, async (ds) => {
      await writeSnapshot(ds, "", "vm/100", T0);
      const w = await SnapshotWriter.begin(ds, root, vm100, { authId: "root@pam", backupTime: T0 + 1 });
      try {
        await expect(SnapshotWriter.begin(ds, root, vm100, { authId: "root@pam", backupTime: T0 + 2 })).rejects.toThrow(
          /unable to acquire backup group lock/,
        );
        await expect(lockSnapshot(t.name, root, { ...vm100, time: T0 }, "exclusive")).rejects.toThrow(/held \(shared\)/);
        await expect(ds.destroySnapshot(root, { ...vm100, time: T0 })).rejects.toThrow(/unable to acquire snapshot lock/);
      } finally {
        await w.abort();
      }
      expect(existsSync(path.join(t.path, "vm/100/2023-11-14T22:13:21Z"))).toBe(false);
      expect(await readLockHolders(snapshotLockPath(t.name, root, { ...vm100, time: T0 }))).toEqual([]);
    });
  });

  it("refuses an empty backup and an unknown archive type", async () => {
    await withWrite(t.name, async (ds) => {
      const w = await SnapshotWriter.begin(ds, root, vm100, { authId: "root@pam", backupTime: T0 });
      await expect(w.writeBlob("data.tar", Buffer.from("x"))).rejects.toThrow("failed to parse archive type for 'data.tar'");
      await expect(w.finish()).rejects.toThrow("backup does not contain valid files (file count == 0)");
      await w.abort();
      expect(existsSync(path.join(t.path, "vm/100/2023-11-14T22:13:20Z"))).toBe(false);
      expect(storeOf(ds).name).toBe(t.name);
    });
  });

  it("a writer killed halfway leaves an unfinished snapshot, free locks, and the next backup works", async () => {
    await withWrite(t.name, (ds) => writeSnapshot(ds, "", "vm/100", T0));
    const child = startChild("slow-writer.ts", [t.name, "vm/100", String(T0 + 60)]);
    await child.waitFor("writing");
    expect((await getActiveOperations(t.name)).write).toBe(1);
    await child.kill("SIGKILL");

    const dir = path.join(t.path, "vm/100/2023-11-14T22:14:20Z");
    const left = readdirSync(dir).sort();
    expect(left).not.toContain("index.json.blob");
    expect(left).not.toContain("disk.img.fidx"); // only ever renamed into place when complete
    expect(await getActiveOperations(t.name)).toEqual({ read: 0, write: 0 });

    await withWrite(t.name, async (ds) => {
      const snaps = await ds.listSnapshots(root, vm100);
      expect(snaps.map((s) => [s["backup-time"], s.finished])).toEqual([
        [T0, true],
        [T0 + 60, false],
      ]);
      // the dead writer's locks are free at once; the last finished snapshot is still the base
      const w = await SnapshotWriter.begin(ds, root, vm100, { authId: "root@pam", backupTime: T0 + 120 });
      expect(w.previous).toBe(T0);
      await w.writeBlob("test.conf", Buffer.from("y"));
      await w.finish();
    });
  });
});
