/**
 * An S3 datastore on a real OpenStack Swift (s3api): what works on a local datastore works
 * here, with the bucket holding the truth (PBS 4.2 key layout) and the cache rebuilt from it.
 */
import { randomBytes } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { garbageCollection } from "../gc/gc";
import { collectingLog } from "../model/log";
import { BackupNamespace, formatBackupTime } from "../model/names";
import { moveGroup } from "../move/move-group";
import { moveNamespace } from "../move/move-namespace";
import { planMoveGroup } from "../move/move-plan";
import { readMoveJournal } from "../move/move-journal";
import { setMaintenanceMode } from "../../config/datastore-config";
import { openDatastore } from "../open";
import { lockGroup, lockSnapshot } from "../locking/locks";
import { pruneGroup } from "../prune/prune";
import { restoreArchive } from "../backup/restore";
import { refreshDatastore } from "../state/s3-refresh-maintenance";
import { verifyBackups } from "../verify/verify";
import { ageAllChunks, chunkStoreFiles, indexDigests } from "../test-support/gc-chunks";
import { withWrite, writeSnapshot } from "../test-support/temp-store";
import { type TempS3Store, type TestSwift, useSwift, useTempS3Store } from "../test-support/swift";

const T0 = 1_700_000_000;
const DAY = 86400;
const UPID = "UPID:testnode:00001234:00000001:00000000:65000000:garbage_collection:s3store:root@pam:";
const root = BackupNamespace.root;
const ns = (s: string) => BackupNamespace.parse(s);
const vm100 = { type: "vm" as const, id: "100" };
const when = (t: number) => formatBackupTime(t);

let swift: TestSwift;
let t: TempS3Store;

beforeAll(async () => {
  swift = await useSwift();
}, 120_000);
afterAll(async () => {
  await swift?.stop();
});
beforeEach(async () => {
  t = await useTempS3Store(swift);
});
afterEach(async () => {
  await t?.cleanup();
});

async function gc() {
  const log = collectingLog();
  const status = await withWrite(t.name, (ds) => garbageCollection(ds, { upid: UPID, log, skipAtimeCheck: true }));
  return { status, lines: log.lines.map((l) => l.message) };
}

async function verify() {
  const log = collectingLog();
  const ds = await openDatastore(t.name, "read");
  try {
    const res = await verifyBackups(ds, { kind: "datastore" }, { upid: UPID, log, threads: 1 });
    return { res, lines: log.lines.map((l) => l.message) };
  } finally {
    await ds.close();
  }
}

describe("S3 datastore on OpenStack Swift", () => {
  it("stores chunks 1:1 and the snapshot's files under .cnt, and restores from the bucket when the cache is gone", async () => {
    const image = randomBytes(3 * 64 * 1024);
    await withWrite(t.name, (ds) => writeSnapshot(ds, "", "vm/100", T0, { image }));
    const snap = `vm/100/${when(T0)}`;
    const fidx = path.join(t.path, snap, "disk.img.fidx");
    const digests = indexDigests(fidx).map((d) => d.toString("hex"));
    const keys = await t.keys();
    for (const hex of digests) expect(keys).toContain(`.chunks/${hex.slice(0, 4)}/${hex}`);
    for (const f of ["disk.img.fidx", "index.json.blob", "test.conf.blob"]) expect(keys).toContain(`.cnt/${snap}/${f}`);
    expect(keys).toContain(".cnt/vm/100/owner");
    // The bucket copy of the index is the local one, byte for byte.
    expect((await t.client.get(`${t.name}/.cnt/${snap}/disk.img.fidx`))!.equals(readFileSync(fidx))).toBe(true);

    for (const f of chunkStoreFiles(t.path)) rmSync(f);
    const dest = path.join(t.home, "restored.img");
    await withWrite(t.name, (ds) => restoreArchive(ds, root, { ...vm100, time: T0 }, "disk.img", dest));
    expect(readFileSync(dest).equals(image)).toBe(true);
  });

  it("plans without touching the bucket, merges, journals, defers a locked group, and keeps read-only maintenance", async () => {
    await withWrite(t.name, async (ds) => {
      for (const n of ["a", "b"]) await ds.createNamespace(root, n);
      await writeSnapshot(ds, "b", "vm/100", T0, { image: randomBytes(64 * 1024) });
      await writeSnapshot(ds, "a", "vm/100", T0 + 60, { image: randomBytes(64 * 1024) });
      await writeSnapshot(ds, "a", "vm/101", T0, { image: randomBytes(64 * 1024) });
    });
    const before = await t.keys();
    const plan = await withWrite(t.name, (ds) => planMoveGroup(ds, ns("a"), vm100, ns("b"), true));
    expect(plan.groups[0]).toMatchObject({ action: "merge", snapshots: 1 });
    expect(await t.keys()).toEqual(before);

    // A held group is deferred, retried once and left where it is; the other one merges.
    const held = await lockGroup(t.name, ns("a"), { type: "vm", id: "101" });
    try {
      await expect(withWrite(t.name, (ds) => moveNamespace(ds, ns("a"), ns("b"), { mergeGroups: true }, collectingLog()))).rejects.toThrow(
        /1 still lock-conflicted/,
      );
    } finally {
      await held.release();
    }
    expect(await t.keys(".cnt/ns/b/vm/100/")).toEqual(
      expect.arrayContaining([`.cnt/ns/b/vm/100/${when(T0)}/disk.img.fidx`, `.cnt/ns/b/vm/100/${when(T0 + 60)}/disk.img.fidx`]),
    );
    expect(await t.keys(".cnt/ns/a/vm/100/")).toEqual([]);
    expect(await t.keys(`.cnt/ns/a/vm/101/${when(T0)}/`)).toHaveLength(3);
    expect(await readMoveJournal(t.name)).toEqual([path.join(t.path, "ns/b/vm/100", when(T0 + 60)) + "/"]);

    // Read-only maintenance: reading and listing go on, a backup is refused.
    await setMaintenanceMode(t.name, { type: "read-only" });
    const ro = await openDatastore(t.name, "read");
    try {
      expect(await ro.listSnapshots(ns("b"), vm100)).toHaveLength(2);
    } finally {
      await ro.close();
    }
    await expect(openDatastore(t.name, "write")).rejects.toThrow(/read-only/);
    await setMaintenanceMode(t.name, undefined);
    expect((await verify()).res).toMatchObject({ ok: 3, failed: [] });
  });

  it("moves a group and a namespace as copy, cache rename and delete at the source", async () => {
    await withWrite(t.name, async (ds) => {
      await ds.createNamespace(root, "a");
      await ds.createNamespace(ns("a"), "b");
      await writeSnapshot(ds, "a", "vm/100", T0, { image: randomBytes(64 * 1024) });
      await writeSnapshot(ds, "a/b", "ct/7", T0, { image: randomBytes(64 * 1024), notes: "n" });
      await ds.createNamespace(root, "target");
    });
    expect(await t.keys(".cnt/ns/a/ns/b/.namespace")).toHaveLength(1);
    await withWrite(t.name, (ds) => moveGroup(ds, ns("a"), vm100, ns("target"), true, collectingLog()));
    expect(await t.keys(".cnt/ns/a/vm/")).toEqual([]);
    expect(await t.keys(`.cnt/ns/target/vm/100/${when(T0)}/`)).toHaveLength(3);

    await withWrite(t.name, (ds) => moveNamespace(ds, ns("a"), ns("target/a"), {}, collectingLog()));
    expect(await t.keys(".cnt/ns/a/")).toEqual([]);
    expect(await t.keys(`.cnt/ns/target/ns/a/ns/b/ct/7/${when(T0)}/`)).toHaveLength(3);
    const listed = await withWrite(t.name, (ds) => ds.listSnapshots(ns("target/a/b")));
    expect(listed).toHaveLength(1);
    expect((await verify()).res).toMatchObject({ ok: 2, failed: [] });
  });

  it("GC removes content objects the cache does not have (a killed move's sources), but not under a held lock", async () => {
    await withWrite(t.name, async (ds) => {
      await ds.createNamespace(root, "a");
      await writeSnapshot(ds, "", "vm/100", T0, { image: randomBytes(64 * 1024) });
    });
    const src = `vm/100/${when(T0)}`;
    const before = await t.keys(`.cnt/${src}/`);
    // A move killed after its cache rename, before deleting the sources: the objects stay, the
    // cache has the snapshot at the target only.
    const saved = await Promise.all(before.map(async (k) => [k, (await t.client.get(`${t.name}/${k}`))!] as const));
    await withWrite(t.name, (ds) => moveGroup(ds, root, vm100, ns("a"), true, collectingLog()));
    for (const [k, bytes] of saved) await t.client.put(`${t.name}/${k}`, bytes);
    // The objects are seconds old, and Swift rounds Last-Modified up to the next second: a
    // negative age takes them in, so that only the lock and the cache decide.
    const strayGc = () =>
      withWrite(t.name, (ds) => garbageCollection(ds, { upid: UPID, log: collectingLog(), skipAtimeCheck: true, strayMinAgeMs: -5000 }));
    const held = await lockSnapshot(t.name, root, { ...vm100, time: T0 }, "exclusive");
    try {
      await strayGc();
      expect(await t.keys(`.cnt/${src}/`)).toEqual(before); // an operation holds it: left alone
    } finally {
      await held.release();
    }
    await strayGc();
    expect(await t.keys(`.cnt/${src}/`)).toEqual([]);
    expect(await t.keys(`.cnt/ns/a/${src}/`)).toHaveLength(before.length);
  });

  it("prunes snapshots in the bucket too", async () => {
    await withWrite(t.name, async (ds) => {
      for (let i = 0; i < 3; i++) await writeSnapshot(ds, "", "vm/100", T0 + i * DAY);
      await pruneGroup(ds, root, vm100, { "keep-last": 1 });
    });
    const snaps = new Set((await t.keys(".cnt/vm/100/")).map((k) => k.split("/")[3]).filter((s) => s !== "owner"));
    expect([...snaps]).toEqual([when(T0 + 2 * DAY)]);
  });

  it("GC removes unreferenced chunk objects and keeps referenced ones that are not cached", async () => {
    const image = randomBytes(2 * 64 * 1024);
    await withWrite(t.name, async (ds) => {
      await writeSnapshot(ds, "", "vm/100", T0, { image });
      await writeSnapshot(ds, "", "vm/200", T0, { image: randomBytes(64 * 1024) });
    });
    const kept = indexDigests(path.join(t.path, `vm/100/${when(T0)}/disk.img.fidx`)).map((d) => d.toString("hex"));
    const gone = indexDigests(path.join(t.path, `vm/200/${when(T0)}/disk.img.fidx`)).map((d) => d.toString("hex"));
    await withWrite(t.name, (ds) => ds.destroyGroup(root, { type: "vm", id: "200" } as const));
    // One referenced chunk is not in the cache: GC marks it with a `.using` marker.
    rmSync(path.join(t.path, ".chunks", kept[0]!.slice(0, 4), kept[0]!));
    ageAllChunks(t.path, 2 * DAY);
    const { status } = await gc();
    expect(status["removed-chunks"]).toBe(gone.length);
    const chunkKeys = await t.keys(".chunks/");
    for (const hex of kept) expect(chunkKeys).toContain(`.chunks/${hex.slice(0, 4)}/${hex}`);
    for (const hex of gone) expect(chunkKeys).not.toContain(`.chunks/${hex.slice(0, 4)}/${hex}`);
    expect((await verify()).res).toMatchObject({ ok: 1, failed: [] });
  });

  it("verify checks chunks end to end and marks a corrupt object bad", async () => {
    await withWrite(t.name, (ds) => writeSnapshot(ds, "", "vm/100", T0, { image: randomBytes(64 * 1024) }));
    const [hex] = indexDigests(path.join(t.path, `vm/100/${when(T0)}/disk.img.fidx`)).map((d) => d.toString("hex"));
    const key = `${t.name}/.chunks/${hex!.slice(0, 4)}/${hex}`;
    const stored = (await t.client.get(key))!;
    stored[stored.length - 1] ^= 0xff;
    await t.client.put(key, stored);
    for (const f of chunkStoreFiles(t.path)) rmSync(f);
    const { res } = await verify();
    expect(res).toMatchObject({ ok: 0, failed: [`vm/100/${when(T0)}`] });
    const keys = await t.keys(".chunks/");
    expect(keys).toContain(`.chunks/${hex!.slice(0, 4)}/${hex}.0.bad`);
    expect(keys).not.toContain(`.chunks/${hex!.slice(0, 4)}/${hex}`);
  });

  it("s3-refresh rebuilds the cache from the bucket and drops cached chunks the bucket lacks", async () => {
    await withWrite(t.name, async (ds) => {
      await ds.createNamespace(root, "empty");
      await writeSnapshot(ds, "", "vm/100", T0, { image: randomBytes(64 * 1024), notes: "kept" });
    });
    const bogus = path.join(t.path, ".chunks", "abcd", `abcd${"0".repeat(60)}`);
    writeFileSync(bogus, "not in the bucket");
    rmSync(path.join(t.path, "vm"), { recursive: true });
    rmSync(path.join(t.path, "ns"), { recursive: true });
    const log = collectingLog();
    const stats = await refreshDatastore(t.name, { log });
    expect(stats).toMatchObject({ namespaces: 1, cachedChunksDropped: 1 });
    await withWrite(t.name, async (ds) => {
      expect((await ds.listNamespaces(root)).map((n) => n.ns)).toEqual(["", "empty"]);
      expect(await ds.snapshotNotes(root, { ...vm100, time: T0 })).toBe("kept");
    });
    expect((await verify()).res).toMatchObject({ ok: 1, failed: [] });
  });
});
