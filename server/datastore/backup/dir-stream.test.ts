import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BackupNamespace } from "../model/names";
import { openDatastore } from "../open";
import { SnapshotWriter } from "./snapshot-writer";
import { useTempStore, withWrite, type TempStore } from "../test-support/temp-store";
import { archiveKindOf, archiveSpec, checkDistinct, checkSource, parseArchiveSpec } from "./archive-spec";
import { encodeTree, parseStream, scanTree, STREAM_MAGIC } from "./dir-stream";
import { restoreArchive } from "./restore";
import { makeTree } from "./test-support/tree";

const root = BackupNamespace.root;
const T0 = 1_700_000_000;
let t: TempStore;
let work: string;
let time = T0;

beforeAll(async () => {
  t = await useTempStore();
  work = mkdtempSync("/dev/shm/coffer-stream-");
}, 60_000);
afterAll(async () => {
  await t?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

/** A stream built by hand from the documented format (not by the encoder under test). */
function stream(records: Array<[string, object, Buffer?]>, opts: { version?: number } = {}): Buffer {
  const head = Buffer.alloc(16);
  Buffer.from("CDIRSTRM", "latin1").copy(head);
  head.writeUInt32LE(opts.version ?? 1, 8);
  const parts: Buffer[] = [head];
  for (const [tag, json, data] of records) {
    const body = Buffer.from(JSON.stringify(json));
    const h = Buffer.alloc(8);
    h.write(tag, 0, "latin1");
    h.writeUInt32LE(body.length, 4);
    parts.push(h, body);
    if (data) parts.push(data);
  }
  return Buffer.concat(parts);
}

const dir = (p: string) => ({ path: p, type: "dir", mode: 0o755, uid: 0, gid: 0, mtime: "1700000000000000000" });
const file = (p: string, size: number) => ({ path: p, type: "file", mode: 0o644, uid: 0, gid: 0, mtime: "1700000000000000000", size });
const link = (p: string, target: string) => ({ path: p, type: "symlink", mode: 0o777, uid: 0, gid: 0, mtime: "1700000000000000000", target });

/** Stores `data` as `evil.pxar.didx` in a new snapshot and tries to restore it into `work/dest`. */
async function restoreStream(data: Buffer) {
  const g = { type: "host" as const, id: "evil" };
  const snap = { ...g, time: time++ };
  await withWrite(t.name, async (ds) => {
    const w = await SnapshotWriter.begin(ds, root, g, { authId: "root@pam", backupTime: snap.time });
    await w.writeDynamic("evil.pxar", (async function* () { yield data; })());
    await w.finish();
  });
  const ds = await openDatastore(t.name, "read");
  try {
    return await restoreArchive(ds, root, snap, "evil.pxar", path.join(work, "dest"));
  } finally {
    await ds.close();
  }
}

describe("directory stream", () => {
  it("starts with the documented header and reads back what it was given, entry by entry", async () => {
    const src = path.join(work, "src");
    makeTree(src, 1000);
    const scan = await scanTree(src);
    const pieces: Buffer[] = [];
    for await (const p of encodeTree(scan)) pieces.push(p);
    const bytes = Buffer.concat(pieces);
    expect(bytes.subarray(0, 8).equals(STREAM_MAGIC)).toBe(true);
    expect(bytes.readUInt32LE(8)).toBe(1);
    const items = [];
    // cut into odd pieces: the reader must not depend on chunk boundaries
    for await (const it of parseStream((async function* () { for (let i = 0; i < bytes.length; i += 7) yield bytes.subarray(i, i + 7); })())) items.push(it);
    const entries = items.filter((i) => i.kind === "entry").map((i) => (i.kind === "entry" ? i.entry.path : ""));
    expect(entries).toEqual(scan.entries.map((e) => e.path));
    expect(entries[0]).toBe(".");
    expect(entries.indexOf("etc")).toBeLessThan(entries.indexOf("etc/deep/deeper/big.bin"));
    expect(items.at(-1)).toEqual({ kind: "end", entries: scan.entries.length, bytes: scan.fileBytes });
    // same tree, same digest; any metadata change, another
    expect((await scanTree(src)).digest).toBe(scan.digest);
  });

  it("refuses path traversal, absolute paths, writes through symlinks and duplicates, creating nothing", async () => {
    const cases: Array<[string, Buffer]> = [
      ["'..' path components are not allowed", stream([["ENTR", dir(".")], ["ENTR", file("../escape", 1), Buffer.from("x")], ["END!", { entries: 2, bytes: 1 }]])],
      ["'..' path components are not allowed", stream([["ENTR", dir("a")], ["ENTR", file("a/../../b", 0)], ["END!", { entries: 2, bytes: 0 }]])],
      ["absolute paths are not allowed", stream([["ENTR", file("/etc/evil", 0)], ["END!", { entries: 1, bytes: 0 }]])],
      [
        "its parent 'l' is not a directory restored before it",
        stream([["ENTR", link("l", work)], ["ENTR", file("l/pwned", 1), Buffer.from("x")], ["END!", { entries: 2, bytes: 1 }]]),
      ],
      ["its parent 'missing' is not a directory restored before it", stream([["ENTR", file("missing/x", 0)], ["END!", { entries: 1, bytes: 0 }]])],
      ["it appears twice in the stream", stream([["ENTR", file("a", 0)], ["ENTR", file("a", 0)], ["END!", { entries: 2, bytes: 0 }]])],
      ["invalid directory stream: truncated in a record header", stream([["ENTR", file("a", 0)]])],
      ["invalid directory stream: truncated in the data of 'a'", stream([["ENTR", file("a", 10)]])],
      ["invalid directory stream: version 2 is not supported (this Coffer reads version 1)", stream([["END!", { entries: 0, bytes: 0 }]], { version: 2 })],
      ["invalid directory stream: end record counts 5 entries / 0 bytes, the stream held 1 / 0", stream([["ENTR", file("a", 0)], ["END!", { entries: 5, bytes: 0 }]])],
      ["invalid directory stream: entry 'a' has unknown type \"fifo\"", stream([["ENTR", { ...file("a", 0), type: "fifo" }]])],
    ];
    const before = readdirSync(work).sort();
    for (const [message, data] of cases) {
      await expect(restoreStream(data), message).rejects.toThrow(message);
      expect(readdirSync(work).sort(), message).toEqual(before);
    }
  });

  it("maps archive suffixes to kinds and refuses mismatched sources with what each suffix takes", async () => {
    expect(["a.img", "b.pxar", "c.didx", "d.conf", "e.json", "f.key", "g.log"].map(archiveKindOf)).toEqual([
      "image", "directory", "directory", "blob", "blob", "blob", "blob",
    ]);
    expect(() => archiveKindOf("root")).toThrow("archive name 'root' has no backup suffix: use <name>.img for an image");
    expect(() => parseArchiveSpec("disk.img")).toThrow("invalid archive 'disk.img': expected <archive>=<path>");
    expect(parseArchiveSpec("disk.img=x/y", "/base")).toMatchObject({ filename: "disk.img.fidx", kind: "image", path: "/base/x/y" });
    expect(() => archiveSpec("index.json", "/x")).toThrow("archive name 'index.json' is reserved");
    expect(() => checkDistinct([archiveSpec("a.pxar", "/x"), archiveSpec("a.pxar.didx", "/y")])).toThrow(
      "archive 'a.pxar.didx' is given twice (both would be a.pxar.didx)",
    );
    const src = path.join(work, "src");
    await expect(checkSource(archiveSpec("root.img", src))).rejects.toThrow(
      `archive 'root.img' is an image (.img) of a regular file or block device, but '${src}' is a directory: use <name>.img`,
    );
    await expect(checkSource(archiveSpec("root.pxar", path.join(src, "hello.txt")))).rejects.toThrow(
      `archive 'root.pxar' is a directory stream (.pxar/.didx), but '${path.join(src, "hello.txt")}' is a regular file`,
    );
    await expect(checkSource(archiveSpec("x.conf", path.join(work, "nope")))).rejects.toThrow(
      `source '${path.join(work, "nope")}' of archive 'x.conf' does not exist`,
    );
  });
});
