import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { open as openFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BackupNamespace, type GroupRef, type SnapshotRef } from "../model/names";
import { openDatastore, type ReadHandle } from "../open";
import { useTempStore, withWrite, type TempStore } from "../test-support/temp-store";
import { archiveSpec } from "../backup/archive-spec";
import { runBackup } from "../backup/backup";
import { describeTree, makeTree } from "../backup/test-support/tree";
import { DynamicIndexReader } from "../format/dynamic-index";
import { ArchiveReader } from "./archive-reader";
import { readListing } from "./dir-listing";
import { browseArchive, listArchives, openDownload } from "./download";

const root = BackupNamespace.root;
const MIB = 1024 * 1024;
const T0 = 1_700_000_000;
let t: TempStore;
let src: string;
let out: string;

const LONG_DIR = `${"d".repeat(90)}/${"e".repeat(60)}`;
const LONG_NAME = `${"n".repeat(150)}.txt`;

beforeAll(async () => {
  src = mkdtempSync("/dev/shm/coffer-dl-src-");
  out = mkdtempSync("/dev/shm/coffer-dl-out-");
  writeFileSync(path.join(src, "disk.raw"), randomBytes(3 * MIB + 11));
  writeFileSync(path.join(src, "vm.conf"), "cores: 2\n");
  const tree = path.join(src, "tree");
  makeTree(tree);
  // What plain ustar cannot hold: long paths, a long name, a long link target, non-ASCII names.
  mkdirSync(path.join(tree, LONG_DIR), { recursive: true });
  writeFileSync(path.join(tree, LONG_DIR, LONG_NAME), "deep and long\n");
  writeFileSync(path.join(tree, "grüße-ファイル.txt"), "unicode\n");
  symlinkSync(`${LONG_DIR}/${LONG_NAME}`, path.join(tree, "link-long"));
  // Large-ish: spans several chunks of the content-defined chunker (about 4 MiB on average).
  writeFileSync(path.join(tree, "large.bin"), randomBytes(13 * MIB + 3));
  t = await useTempStore();
  await backup({ type: "host", id: "files" }, T0);
}, 120_000);

afterAll(async () => {
  await t?.cleanup();
  rmSync(src, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
});

async function backup(g: GroupRef, time: number, tree = "tree") {
  const specs = [archiveSpec("disk.img", path.join(src, "disk.raw")), archiveSpec("vm.conf", path.join(src, "vm.conf")), archiveSpec("root.pxar", path.join(src, tree))];
  await withWrite(t.name, (ds) => runBackup(ds, root, g, specs, { authId: "root@pam", chunkSize: MIB, backupTime: time }));
}

async function withRead<T>(fn: (ds: ReadHandle) => Promise<T>): Promise<T> {
  const ds = await openDatastore(t.name, "read");
  try {
    return await fn(ds);
  } finally {
    await ds.close();
  }
}

const snap: SnapshotRef = { type: "host", id: "files", time: T0 };

/** Downloads to a file; returns the announced size, the file and the bytes written. */
async function download(s: SnapshotRef, archive: string, p?: string, name = "dl") {
  return withRead(async (ds) => {
    const d = await openDownload(ds, root, s, archive, p);
    const file = path.join(out, name);
    const fh = await openFile(file, "w");
    let written = 0;
    try {
      for await (const b of d.body) {
        await fh.write(b);
        written += b.length;
      }
    } finally {
      await fh.close();
    }
    return { d, file, written };
  });
}

/** The tree without what tar cannot restore exactly: mtimes are compared to the second. */
const bySecond = (items: ReturnType<typeof describeTree>) =>
  items.map(({ mtimeUs, ...rest }) => ({ ...rest, mtimeS: (BigInt(mtimeUs) / 1_000_000n).toString() }));

function extract(tarFile: string, into: string): void {
  mkdirSync(into, { recursive: true });
  execFileSync("tar", ["-xpf", tarFile, "-C", into]);
}

describe("restore from the browser", () => {
  it("lists a snapshot's archives with their kind and size", async () => {
    const list = await withRead((ds) => listArchives(ds, root, snap));
    expect(list.map((a) => [a.filename, a.kind])).toEqual([
      ["disk.img.fidx", "image"],
      ["vm.conf.blob", "blob"],
      ["root.pxar.didx", "directory"],
    ]);
    expect(list[0]!.size).toBe(3 * MIB + 11);
  });

  it("downloads an image and a blob as their bytes, with the size known first", async () => {
    const img = await download(snap, "disk.img.fidx", undefined, "disk");
    expect(img.d).toMatchObject({ filename: "disk.img", size: 3 * MIB + 11 });
    expect(img.written).toBe(img.d.size);
    expect(readFileSync(img.file).equals(readFileSync(path.join(src, "disk.raw")))).toBe(true);
    const blob = await download(snap, "vm.conf.blob", undefined, "conf");
    expect(blob.d).toMatchObject({ filename: "vm.conf", size: 9 });
    expect(readFileSync(blob.file, "utf8")).toBe("cores: 2\n");
  });

  it("downloads a directory archive as a tar that the system tar extracts to the source tree (long names, symlinks, a large file)", async () => {
    const { d, file, written } = await download(snap, "root.pxar.didx", undefined, "root.tar");
    expect(d.filename).toBe("root.tar");
    expect(written).toBe(d.size);
    extract(file, path.join(out, "x-root"));
    expect(bySecond(describeTree(path.join(out, "x-root", "root")))).toEqual(bySecond(describeTree(path.join(src, "tree"))));
  });

  it("downloads one folder as a tar and one file as its bytes", async () => {
    const folder = await download(snap, "root.pxar.didx", "etc", "etc.tar");
    expect(folder.d.filename).toBe("etc.tar");
    expect(folder.written).toBe(folder.d.size);
    extract(folder.file, path.join(out, "x-etc"));
    expect(bySecond(describeTree(path.join(out, "x-etc", "etc")))).toEqual(bySecond(describeTree(path.join(src, "tree", "etc"))));
    const one = await download(snap, "root.pxar.didx", `${LONG_DIR}/${LONG_NAME}`, "one");
    expect(one.d).toMatchObject({ filename: LONG_NAME, size: 14 });
    expect(readFileSync(one.file, "utf8")).toBe("deep and long\n");
    const large = await download(snap, "root.pxar.didx", "large.bin", "large");
    expect(readFileSync(large.file).equals(readFileSync(path.join(src, "tree", "large.bin")))).toBe(true);
  });

  it("browses a folder: names sorted, types, sizes, mtimes, symlink targets", async () => {
    const top = await withRead((ds) => browseArchive(ds, root, snap, "root.pxar.didx", ""));
    expect(top.entries.map((e) => e.name)).toEqual(["d".repeat(90), "empty", "empty-dir", "etc", "grüße-ファイル.txt", "hello.txt", "large.bin", "link-long", "link-rel"]);
    expect(top.entries.find((e) => e.name === "hello.txt")).toMatchObject({ type: "file", size: 6, path: "hello.txt", mtime: 1_600_000_000_123 });
    expect(top.entries.find((e) => e.name === "link-rel")).toMatchObject({ type: "symlink", target: "hello.txt" });
    const etc = await withRead((ds) => browseArchive(ds, root, snap, "root.pxar.didx", "etc"));
    expect(etc.entries.map((e) => [e.name, e.type])).toEqual([["deep", "dir"], ["link-abs", "symlink"], ["script.sh", "file"], ["secret", "file"]]);
  });

  it("refuses path tricks and names that are not in the manifest, without touching anything", async () => {
    for (const p of ["../etc", "/etc", "etc/../..", "etc/", "./etc", "etc//deep"]) {
      await expect(withRead((ds) => browseArchive(ds, root, snap, "root.pxar.didx", p))).rejects.toThrow(/is not in archive 'root.pxar.didx'/);
    }
    for (const a of ["../../../etc/passwd", "index.json.blob", "root.pxar", "owner"]) {
      await expect(withRead((ds) => openDownload(ds, root, snap, a))).rejects.toMatchObject({ code: "NOT_FOUND" });
    }
    await expect(withRead((ds) => browseArchive(ds, root, snap, "disk.img.fidx", ""))).rejects.toThrow(/not a directory archive/);
    await expect(withRead((ds) => openDownload(ds, root, snap, "disk.img.fidx", "x"))).rejects.toThrow(/download it whole/);
  });

  it("lists without reading file data, and a corrupted chunk ends the download with an error", async () => {
    const g = { type: "host" as const, id: "corrupt" };
    const s = { ...g, time: T0 };
    const tree = path.join(src, "tree2");
    mkdirSync(tree);
    writeFileSync(path.join(tree, "a.txt"), "first\n");
    // Over twice the largest chunk (16 MiB), so at least one chunk lies wholly inside it.
    writeFileSync(path.join(tree, "middle.bin"), randomBytes(40 * MIB));
    writeFileSync(path.join(tree, "z.txt"), "last\n");
    await backup(g, T0, "tree2");
    // A chunk in the middle of middle.bin holds file data only: damage it.
    const listing = await withRead(async (ds) => {
      const r = await ArchiveReader.open(ds, root, s, "root.pxar.didx");
      try {
        return await readListing(r);
      } finally {
        await r.close();
      }
    });
    const middle = listing.entries.find((e) => e.path === "middle.bin")!;
    const index = await DynamicIndexReader.open(path.join(t.path, "host", "corrupt", "2023-11-14T22:13:20Z", "root.pxar.didx"));
    // Not any chunk at an offset in the middle: with random boundaries, that one may reach into
    // the next entry's metadata, which the listing reads.
    const inside = Array.from({ length: index.count }, (_, i) => i).find((i) => {
      const r = index.chunkRange(i);
      return r.start >= middle.offset && r.end <= middle.offset + 40 * MIB - 1;
    });
    if (inside === undefined) throw new Error("no chunk lies wholly inside middle.bin");
    const digest = index.digest(inside).toString("hex");
    const chunk = path.join(t.path, ".chunks", digest.slice(0, 4), digest);
    const raw = readFileSync(chunk);
    raw[raw.length - 1]! ^= 0xff;
    writeFileSync(chunk, raw);

    // The listing skips the damaged data: it still reads.
    const fresh = await withRead(async (ds) => {
      const r = await ArchiveReader.open(ds, root, s, "root.pxar.didx");
      try {
        return await readListing(r);
      } finally {
        await r.close();
      }
    });
    expect(fresh.entries.map((e) => e.path)).toEqual(["", "a.txt", "middle.bin", "z.txt"]);
    // A file that does not touch the chunk downloads; the one that does fails, and the whole tar too.
    expect(readFileSync((await download(s, "root.pxar.didx", "z.txt", "z")).file, "utf8")).toBe("last\n");
    await expect(download(s, "root.pxar.didx", "middle.bin", "m")).rejects.toThrow(`chunk ${digest} of 'root.pxar.didx' in host/corrupt/2023-11-14T22:13:20Z failed verification`);
    await expect(download(s, "root.pxar.didx", "", "m.tar")).rejects.toThrow(/failed verification/);
  });
});
