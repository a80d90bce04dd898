import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync, closeSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CofferError } from "../model/errors";
import { collectingLog } from "../model/log";
import { BackupNamespace, formatBackupTime, type GroupRef } from "../model/names";
import { openDatastore } from "../open";
import { useTempStore, withWrite, type TempStore } from "../test-support/temp-store";
import { archiveSpec, type ArchiveSpec } from "./archive-spec";
import { type BackupOptions, runBackup } from "./backup";
import { CHANGE_DETECTION_KEY } from "./change-detection";
import { restoreArchive } from "./restore";
import { describeTree, makeTree } from "./test-support/tree";

const root = BackupNamespace.root;
const T0 = 1_700_000_000;
const MIB = 1024 * 1024;
let t: TempStore;
let src: string;

beforeAll(async () => {
  src = mkdtempSync("/dev/shm/coffer-backup-src-");
  // 6 MiB + 5 bytes: with 1 MiB chunks, 7 chunks, the last one short.
  writeFileSync(path.join(src, "disk.raw"), randomBytes(6 * MIB + 5));
  // Large enough for the hashing threads (16 MiB and up).
  writeFileSync(path.join(src, "big.raw"), randomBytes(20 * MIB));
  writeFileSync(path.join(src, "vm.conf"), "cores: 2\nmemory: 2048\n");
  makeTree(path.join(src, "tree"));
  t = await useTempStore();
}, 60_000);
afterAll(async () => {
  await t?.cleanup();
  rmSync(src, { recursive: true, force: true });
});

/**
 * Sources must be 2 s older than their read before change detection may trust them (its racy
 * rule): backups that should record these fresh sources run with a clock 3 s ahead.
 */
const clockAhead = () => (BigInt(Date.now()) + 3000n) * 1_000_000n;

const spec = (archive: string, file: string): ArchiveSpec => archiveSpec(archive, path.join(src, file));

async function backup(group: GroupRef, specs: ArchiveSpec[], opts: Partial<BackupOptions> & { backupTime: number }) {
  return withWrite(t.name, (ds) => runBackup(ds, root, group, specs, { authId: "root@pam", chunkSize: MIB, ...opts }));
}

async function restore(group: GroupRef, time: number, archive: string, dest: string, force = false) {
  const ds = await openDatastore(t.name, "read");
  try {
    return await restoreArchive(ds, root, { ...group, time }, archive, dest, { force });
  } finally {
    await ds.close();
  }
}

/** The shortest and longest chunk of a dynamic index, its last (shorter) chunk left out. */
async function chunkLengthRange(group: GroupRef, time: number, file: string): Promise<{ min: number; max: number; count: number }> {
  const { DynamicIndexReader } = await import("../format/dynamic-index");
  const index = DynamicIndexReader.fromBuffer(readFileSync(path.join(t.path, group.type, group.id, formatBackupTime(time), file)));
  const lengths = Array.from({ length: index.count - 1 }, (_, i) => index.end(i) - (i === 0 ? 0 : index.end(i - 1)));
  return { min: Math.min(...lengths), max: Math.max(...lengths), count: index.count };
}

/** Matches a chunkLengthRange whose chunks all lie within [lo, hi], with more than a few of them. */
const inside = (lo: number, hi: number) => ({
  min: expect.toSatisfy((n: number) => n >= lo),
  max: expect.toSatisfy((n: number) => n <= hi),
  count: expect.toSatisfy((n: number) => n > 4),
});

function chunkFiles(): number {
  let n = 0;
  const dir = path.join(t.path, ".chunks");
  for (const p of readdirSync(dir)) n += readdirSync(path.join(dir, p)).length;
  return n;
}

async function snapshots(group: GroupRef) {
  const ds = await openDatastore(t.name, "read");
  try {
    return (await ds.listSnapshots(root, group)).map((s) => [formatBackupTime(s["backup-time"]), s.finished]);
  } finally {
    await ds.close();
  }
}

describe("backup and restore", () => {
  it("round trip: an image, a blob and a directory tree come back byte-identical, with modes, mtimes and symlinks", async () => {
    const g = { type: "host" as const, id: "roundtrip" };
    const log = collectingLog();
    const r = await backup(g, [spec("disk.img", "disk.raw"), spec("vm.conf", "vm.conf"), spec("root.pxar", "tree")], {
      backupTime: T0,
      log,
    });
    expect(r.jobs.map((j) => [j.filename, j.kind, j.unchanged])).toEqual([
      ["disk.img.fidx", "image", false],
      ["vm.conf.blob", "blob", false],
      ["root.pxar.didx", "directory", false],
    ]);
    expect(r.jobs[0]).toMatchObject({ size: 6 * MIB + 5, chunks: 7, newChunks: 7 });
    const messages = log.lines.map((l) => l.message);
    expect(messages).toContain(`job 1/3 'disk.img': image of '${path.join(src, "disk.raw")}' -> disk.img.fidx`);
    expect(messages.some((m) => /^job 3\/3 'root.pxar': done, .* in \d+ chunks \(\d+ new, \d+ reused\)/.test(m))).toBe(true);

    const out = mkdtempSync("/dev/shm/coffer-restore-");
    try {
      const img = await restore(g, T0, "disk.img", path.join(out, "disk.raw"));
      expect(img).toMatchObject({ kind: "image", chunks: 7, bytes: 6 * MIB + 5 });
      expect(readFileSync(path.join(out, "disk.raw")).equals(readFileSync(path.join(src, "disk.raw")))).toBe(true);
      await restore(g, T0, "vm.conf.blob", path.join(out, "vm.conf"));
      expect(readFileSync(path.join(out, "vm.conf"), "utf8")).toBe("cores: 2\nmemory: 2048\n");
      const tree = await restore(g, T0, "root.pxar", path.join(out, "tree"));
      expect(tree.entries).toBe(describeTree(path.join(src, "tree")).length);
      expect(describeTree(path.join(out, "tree"))).toEqual(describeTree(path.join(src, "tree")));
      // nothing but the three destinations was created beside them
      expect(readdirSync(out).sort()).toEqual(["disk.raw", "tree", "vm.conf"]);

      await expect(restore(g, T0, "disk.img", path.join(out, "disk.raw"))).rejects.toThrow(
        `destination '${path.join(out, "disk.raw")}' exists; use --force to replace it`,
      );
      writeFileSync(path.join(out, "tree", "stray"), "x");
      await restore(g, T0, "root.pxar", path.join(out, "tree"), true);
      expect(existsSync(path.join(out, "tree", "stray"))).toBe(false);
      await expect(restore(g, T0, "nope.img", path.join(out, "n"))).rejects.toThrow("manifest does not contain file 'nope.img.fidx'");
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it("an unchanged image writes no new chunk: taken over without reading, or read in full with --no-change-detection", async () => {
    const g = { type: "vm" as const, id: "200" };
    const first = await backup(g, [spec("big.img", "big.raw"), spec("root.pxar", "tree")], { backupTime: T0, chunkSize: 4 * MIB, clockNs: clockAhead });
    expect(first.jobs[0]).toMatchObject({ unchanged: false, chunks: 5, newChunks: 5, writtenBytes: 20 * MIB + 5 * 12 });
    const files = chunkFiles();

    const log = collectingLog();
    const second = await backup(g, [spec("big.img", "big.raw"), spec("root.pxar", "tree")], { backupTime: T0 + 1, chunkSize: 4 * MIB, log });
    expect(second.previous).toBe(T0);
    expect(second.jobs.map((j) => [j.unchanged, j.newChunks, j.reusedChunks, j.writtenBytes])).toEqual([
      [true, 0, 5, 0],
      [true, 0, first.jobs[1]!.chunks, 0],
    ]);
    expect(log.lines.map((l) => l.message)).toContain(
      `job 1/2 'big.img': size, mtime, ctime, inode and device unchanged since ${formatBackupTime(T0)}`,
    );
    const ds = await openDatastore(t.name, "read");
    const m = await ds.readManifest(root, { ...g, time: T0 + 1 }).finally(() => ds.close());
    expect(m.unprotected[CHANGE_DETECTION_KEY]).toMatchObject({
      version: 1,
      archives: { "big.img.fidx": { kind: "image", path: path.join(src, "big.raw"), size: String(20 * MIB) } },
    });

    const third = await backup(g, [spec("big.img", "big.raw")], { backupTime: T0 + 2, chunkSize: 4 * MIB, changeDetection: false });
    expect(third.jobs[0]).toMatchObject({ unchanged: false, size: 20 * MIB, chunks: 5, newChunks: 0, reusedChunks: 5, writtenBytes: 0 });
    expect(chunkFiles()).toBe(files);

    // one changed byte: the file is read again and exactly one new chunk is written
    const fd = openSync(path.join(src, "big.raw"), "r+");
    writeSync(fd, Buffer.from([0xaa ^ readFileSync(path.join(src, "big.raw"))[9 * MIB]!]), 0, 1, 9 * MIB);
    closeSync(fd);
    const fourth = await backup(g, [spec("big.img", "big.raw")], { backupTime: T0 + 3, chunkSize: 4 * MIB });
    expect(fourth.jobs[0]).toMatchObject({ unchanged: false, chunks: 5, newChunks: 1, reusedChunks: 4 });
    expect(chunkFiles()).toBe(files + 1);
  });

  it("a failing second job of three leaves no snapshot, the previous one intact, and names the job", async () => {
    const g = { type: "ct" as const, id: "300" };
    const work = mkdtempSync("/dev/shm/coffer-backup-fail-");
    try {
      writeFileSync(path.join(work, "a.raw"), randomBytes(MIB + 1));
      writeFileSync(path.join(work, "b.raw"), randomBytes(MIB + 2));
      writeFileSync(path.join(work, "c.conf"), "c\n");
      const specs = [archiveSpec("a.img", path.join(work, "a.raw")), archiveSpec("b.img", path.join(work, "b.raw")), archiveSpec("c.conf", path.join(work, "c.conf"))];
      await backup(g, specs, { backupTime: T0 });
      const manifestFile = path.join(t.path, "ct/300", formatBackupTime(T0), "index.json.blob");
      const before = readFileSync(manifestFile);

      const log = collectingLog();
      await expect(
        backup(g, specs, {
          backupTime: T0 + 10,
          log,
          hooks: { beforeJob: async (i) => void (i === 1 && rmSync(path.join(work, "b.raw"))) },
        }),
      ).rejects.toThrow(`backup job 2/3 'b.img' from '${path.join(work, "b.raw")}' failed: source '${path.join(work, "b.raw")}' of archive 'b.img' does not exist`);
      const messages = log.lines.map((l) => l.message);
      expect(messages.some((m) => m.startsWith("job 1/3 'a.img': done"))).toBe(true);
      expect(messages.some((m) => m.startsWith("job 3/3"))).toBe(false);
      expect(await snapshots(g)).toEqual([[formatBackupTime(T0), true]]);
      expect(existsSync(path.join(t.path, "ct/300", formatBackupTime(T0 + 10)))).toBe(false);
      expect(readFileSync(manifestFile).equals(before)).toBe(true);

      // the next backup is incremental against the last finished snapshot
      writeFileSync(path.join(work, "b.raw"), randomBytes(MIB + 2));
      const next = await backup(g, specs, { backupTime: T0 + 20, changeDetection: false });
      expect(next.previous).toBe(T0);
      expect(next.jobs[0]).toMatchObject({ newChunks: 0, reusedChunks: 2 });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it("an abort between jobs removes the new snapshot and ends with the abort error", async () => {
    const g = { type: "ct" as const, id: "301" };
    const abort = new AbortController();
    const reason = new CofferError("ABORTED", "abort requested - aborting task");
    const log = collectingLog();
    await expect(
      backup(g, [spec("vm.conf", "vm.conf"), spec("disk.img", "disk.raw")], {
        backupTime: T0,
        signal: abort.signal,
        log,
        hooks: { beforeJob: async (i) => void (i === 1 && abort.abort(reason)) },
      }),
    ).rejects.toBe(reason);
    expect(log.lines.map((l) => l.message)).toContain("job 2/2 'disk.img': aborted");
    expect(existsSync(path.join(t.path, "ct/301", formatBackupTime(T0)))).toBe(false);
    expect(await snapshots(g)).toEqual([]);
  });

  it("--chunk-size sets an image's chunk size and a directory's average chunk size; a size PBS refuses changes nothing", async () => {
    const dir = mkdtempSync("/dev/shm/coffer-chunk-size-");
    try {
      writeFileSync(path.join(dir, "data.bin"), randomBytes(8 * MIB));
      const g = { type: "host" as const, id: "chunk-size" };
      const dirSpec = archiveSpec("root.pxar", dir);
      // Directories default to 1 MiB on average: every chunk but the last is 256 KiB to 4 MiB.
      await backup(g, [dirSpec], { backupTime: T0, chunkSize: undefined, changeDetection: false });
      expect(await chunkLengthRange(g, T0, "root.pxar.didx")).toEqual(inside(256 * 1024, 4 * MIB));
      // --chunk-size 256: 64 KiB to 1 MiB, and the image cut into 256 KiB pieces.
      const narrow = await backup(g, [dirSpec, spec("disk.img", "disk.raw")], { backupTime: T0 + 1, chunkSize: 256 * 1024, changeDetection: false });
      expect(await chunkLengthRange(g, T0 + 1, "root.pxar.didx")).toEqual(inside(64 * 1024, MIB));
      expect(narrow.jobs[1]).toMatchObject({ chunks: 25, size: 6 * MIB + 5 });
      const out = mkdtempSync("/dev/shm/coffer-chunk-size-out-");
      try {
        await restore(g, T0 + 1, "root.pxar", path.join(out, "tree"));
        expect(readFileSync(path.join(out, "tree", "data.bin")).equals(readFileSync(path.join(dir, "data.bin")))).toBe(true);
        await restore(g, T0 + 1, "disk.img", path.join(out, "disk.raw"));
        expect(readFileSync(path.join(out, "disk.raw")).equals(readFileSync(path.join(src, "disk.raw")))).toBe(true);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
      const files = chunkFiles();
      for (const bad of [48 * 1024, 8 * MIB, 100 * 1024]) {
        await expect(backup(g, [dirSpec], { backupTime: T0 + 2, chunkSize: bad })).rejects.toThrow(
          `chunk size must be a power of two from 64 to 4096 (KiB), not ${bad / 1024} KiB`,
        );
      }
      expect(chunkFiles()).toBe(files);
      expect((await snapshots(g)).map(([time]) => time)).toEqual([formatBackupTime(T0), formatBackupTime(T0 + 1)]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses an unfinished snapshot on restore", async () => {
    const g = { type: "host" as const, id: "unfinished" };
    await withWrite(t.name, async (ds) => {
      const { SnapshotWriter } = await import("./snapshot-writer");
      const w = await SnapshotWriter.begin(ds, root, g, { authId: "root@pam", backupTime: T0 });
      await w.writeBlob("a.conf", Buffer.from("x"));
      await w.detach();
    });
    await expect(restore(g, T0, "a.conf", "/dev/shm/never-created")).rejects.toThrow(
      `snapshot host/unfinished/${formatBackupTime(T0)} is unfinished (it has no manifest) and cannot be restored`,
    );
    expect(existsSync("/dev/shm/never-created")).toBe(false);
  });
});
