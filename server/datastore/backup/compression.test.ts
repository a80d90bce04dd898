/**
 * Compressed chunks end to end (issue 13): a datastore that holds chunks of both kinds, written
 * by backups with `compression: "none"` and with the default zstd, is listed, verified,
 * garbage-collected and restored through the engine, on real files.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, closeSync, rmSync, statSync, utimesSync, writeFileSync, writeSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compressionLevel, listDatastoreConfigs, updateDatastoreConfigs } from "../../config/datastore-config";
import { createDatastore } from "../lifecycle";
import { blobKind, decodeBlob, type BlobKind } from "../format/blob";
import { garbageCollection } from "../gc/gc";
import { collectingLog, nullLog } from "../model/log";
import { BackupNamespace, type GroupRef } from "../model/names";
import { openDatastore } from "../open";
import { useTempStore, withWrite, type TempStore } from "../test-support/temp-store";
import { verifyBackups } from "../verify/verify";
import { archiveSpec } from "./archive-spec";
import { runBackup } from "./backup";
import { restoreArchive } from "./restore";

const root = BackupNamespace.root;
const T0 = 1_700_000_000;
const MIB = 1024 * 1024;
const UPID = "UPID:test:00000001:00000001:00000001:00000001:verify:store1:root@pam:";
let t: TempStore;
let src: string;

/** Text that compresses several times over, different for each seed. */
function text(seed: string, bytes: number): Buffer {
  let s = "";
  for (let i = 0; s.length < bytes; i++) s += `${seed} line ${i}: backup chunk log entry status=ok size=${(i * 7919) % 100000}\n`;
  return Buffer.from(s.slice(0, bytes));
}

beforeAll(async () => {
  src = mkdtempSync("/dev/shm/coffer-compression-src-");
  writeFileSync(path.join(src, "old.raw"), text("old", 3 * MIB));
  writeFileSync(path.join(src, "new.raw"), text("new", 3 * MIB + 17));
  writeFileSync(path.join(src, "random.raw"), randomBytes(2 * MIB));
  writeFileSync(path.join(src, "vm.conf"), "cores: 2\nmemory: 2048\n".repeat(50));
  t = await useTempStore();
}, 60_000);
afterAll(async () => {
  await t?.cleanup();
  rmSync(src, { recursive: true, force: true });
});

async function setCompression(compression: "zstd" | "none") {
  await updateDatastoreConfigs((list) => list.map((c) => (c.name === t.name ? { ...c, compression } : c)));
}

async function backup(group: GroupRef, files: Array<[string, string]>, time: number) {
  const specs = files.map(([archive, file]) => archiveSpec(archive, path.join(src, file)));
  return withWrite(t.name, (ds) => runBackup(ds, root, group, specs, { authId: "root@pam", chunkSize: MIB, backupTime: time }));
}

function chunkFiles(): Array<{ file: string; kind: BlobKind; size: number }> {
  const out = [];
  const dir = path.join(t.path, ".chunks");
  for (const p of readdirSync(dir)) {
    for (const name of readdirSync(path.join(dir, p))) {
      if (!/^[0-9a-f]{64}$/.test(name)) continue;
      const file = path.join(dir, p, name);
      out.push({ file, kind: blobKind(readFileSync(file)), size: statSync(file).size });
    }
  }
  return out;
}

async function verifyAll() {
  const ds = await openDatastore(t.name, "read");
  try {
    const log = collectingLog();
    const r = await verifyBackups(ds, { kind: "datastore" }, { upid: UPID, ignoreVerified: false, log, threads: 2 });
    return { r, log: log.lines.map((l) => l.message).join("\n") };
  } finally {
    await ds.close();
  }
}

async function restoreTo(group: GroupRef, archive: string): Promise<Buffer> {
  const dest = path.join(src, `restored-${group.id}-${archive}`);
  const ds = await openDatastore(t.name, "read");
  try {
    await restoreArchive(ds, root, { ...group, time: T0 }, archive, dest, { force: true });
  } finally {
    await ds.close();
  }
  return readFileSync(dest);
}

const oldGroup = { type: "host" as const, id: "uncompressed" };
const newGroup = { type: "host" as const, id: "compressed" };

describe("a datastore with compressed and uncompressed chunks", () => {
  it("is written by backups with compression off and on, and lists, verifies and restores both", async () => {
    await setCompression("none");
    await backup(oldGroup, [["old.img", "old.raw"], ["random.img", "random.raw"], ["vm.conf", "vm.conf"]], T0);
    expect(new Set(chunkFiles().map((c) => c.kind))).toEqual(new Set(["uncompressed"]));
    const blob = readFileSync(path.join(t.path, "host", "uncompressed", "2023-11-14T22:13:20Z", "vm.conf.blob"));
    expect(blobKind(blob)).toBe("uncompressed");

    await setCompression("zstd");
    const r = await backup(newGroup, [["new.img", "new.raw"], ["random.img", "random.raw"], ["vm.conf", "vm.conf"]], T0);
    const chunks = chunkFiles();
    const byKind = (k: BlobKind) => chunks.filter((c) => c.kind === k);
    // new.raw: 3 compressed chunks and its 17-byte tail, too small to shrink, uncompressed;
    // old.raw's 3 and random.raw's 2 stay uncompressed (random data does not shrink).
    expect(byKind("zstd")).toHaveLength(3);
    expect(byKind("uncompressed")).toHaveLength(6);
    for (const c of byKind("zstd")) expect(c.size).toBeLessThan(MIB / 3);
    const newBlob = readFileSync(path.join(t.path, "host", "compressed", "2023-11-14T22:13:20Z", "vm.conf.blob"));
    expect(blobKind(newBlob)).toBe("zstd");
    expect(decodeBlob(newBlob).equals(readFileSync(path.join(src, "vm.conf")))).toBe(true);
    // The job's written bytes and the manifest's upload statistics count what is on disk.
    const written = r.jobs.find((j) => j.archive === "new.img")!.writtenBytes;
    expect(written).toBe(byKind("zstd").reduce((n, c) => n + c.size, 0) + 12 + 17);

    const ds = await openDatastore(t.name, "read");
    try {
      expect((await ds.listSnapshots(root)).map((s) => [s["backup-id"], s.finished])).toEqual([
        ["compressed", true],
        ["uncompressed", true],
      ]);
      const manifest = await ds.readManifest(root, { ...newGroup, time: T0 });
      const stats = manifest.unprotected.chunk_upload_stats as { size: number; compressed_size: number };
      expect(stats.compressed_size).toBeLessThan(stats.size);
    } finally {
      await ds.close();
    }

    const v = await verifyAll();
    expect(v.r).toMatchObject({ snapshots: 2, ok: 2, failed: [] });
    expect(v.r.bytesRead).toBeLessThan(v.r.bytesDecoded);

    expect((await restoreTo(newGroup, "new.img")).equals(readFileSync(path.join(src, "new.raw")))).toBe(true);
    expect((await restoreTo(oldGroup, "old.img")).equals(readFileSync(path.join(src, "old.raw")))).toBe(true);
    expect((await restoreTo(newGroup, "random.img")).equals(readFileSync(path.join(src, "random.raw")))).toBe(true);
  });

  it("garbage collection counts compressed sizes on disk and removes only the unreferenced chunks", async () => {
    const before = chunkFiles();
    await withWrite(t.name, (ds) => ds.destroyGroup(root, oldGroup));
    // Older than the atime cutoff (24 h 5 min): only marking keeps a chunk now.
    const old = Date.now() / 1000 - 2 * 86400;
    for (const c of before) utimesSync(c.file, old, old);
    const status = await withWrite(t.name, (ds) => garbageCollection(ds, { upid: UPID, log: nullLog, skipAtimeCheck: true }));
    const after = chunkFiles();
    // old.raw's three uncompressed chunks are gone; the compressed ones and random.raw's stay.
    expect(after).toHaveLength(before.length - 3);
    expect(status["removed-chunks"]).toBe(3);
    expect(status["disk-chunks"]).toBe(after.length);
    expect(status["disk-bytes"]).toBe(after.reduce((n, c) => n + c.size, 0));
    // Index bytes are plain sizes: new.raw + random.raw, against fewer bytes on disk.
    expect(status["index-data-bytes"]).toBe(3 * MIB + 17 + 2 * MIB);
    expect(status["disk-bytes"]).toBeLessThan(status["index-data-bytes"] * 0.6);
    expect((await restoreTo(newGroup, "new.img")).equals(readFileSync(path.join(src, "new.raw")))).toBe(true);
  });

  it("verify catches a corrupted compressed chunk by its CRC and renames it aside", async () => {
    const victim = chunkFiles().find((c) => c.kind === "zstd")!;
    // Same size, one bit flipped inside the zstd frame.
    const fd = openSync(victim.file, "r+");
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, 40);
    b[0]! ^= 0x04;
    writeSync(fd, b, 0, 1, 40);
    closeSync(fd);
    const v = await verifyAll();
    expect(v.r.failed).toEqual(["host/compressed/2023-11-14T22:13:20Z"]);
    expect(v.log).toContain("Data blob has wrong CRC checksum.");
    expect(existsSync(victim.file)).toBe(false);
    expect(existsSync(`${victim.file}.0.bad`)).toBe(true);
  });
});

describe("the compression setting", () => {
  it("is recorded by createDatastore, and bad values are refused with what is allowed, creating nothing", async () => {
    const dir = (n: string) => path.join(src, n);
    const a = await createDatastore("zstd-three", { path: dir("a"), compressionLevel: 3 });
    const b = await createDatastore("plain-store", { path: dir("b"), compression: "none" });
    expect([compressionLevel(a), compressionLevel(b), compressionLevel({})]).toEqual([3, 0, 2]);
    await expect(createDatastore("bad-one", { path: dir("c"), compression: "lz4" })).rejects.toThrow(
      "invalid compression 'lz4': use zstd (the default) or none",
    );
    await expect(createDatastore("bad-two", { path: dir("d"), compressionLevel: 20 })).rejects.toThrow(
      "invalid compression level 20: use a zstd level from 1 to 19 (default 2)",
    );
    await expect(createDatastore("bad-three", { path: dir("e"), compression: "none", compressionLevel: 3 })).rejects.toThrow(
      "a compression level needs compression zstd, not none",
    );
    expect((await listDatastoreConfigs()).map((c) => c.name).filter((n) => n.startsWith("bad"))).toEqual([]);
    for (const n of ["c", "d", "e"]) expect(existsSync(dir(n))).toBe(false);
  });
});
