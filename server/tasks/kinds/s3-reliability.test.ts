/**
 * Reliability of an S3 datastore on a real OpenStack Swift: backup and namespace-move tasks
 * killed with SIGKILL at random points, GC racing a move, and the object store going away in
 * the middle of a backup. After each: every snapshot exactly once, no chunk missing (verify
 * passes, which reads every chunk through the bucket when the cache lacks it), and after a GC
 * the bucket holds exactly the content the cache holds (nothing half-written left behind).
 */
import { randomBytes } from "node:crypto";
import { readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { garbageCollection } from "../../datastore/gc/gc";
import { collectingLog } from "../../datastore/model/log";
import { BackupNamespace } from "../../datastore/model/names";
import { moveNamespace } from "../../datastore/move/move-namespace";
import { openDatastore } from "../../datastore/open";
import { verifyBackups } from "../../datastore/verify/verify";
import { SnapshotWriter } from "../../datastore/backup/snapshot-writer";
import { LOCAL_ROOT } from "../../datastore/model/owner";
import { chunkStoreFiles } from "../../datastore/test-support/gc-chunks";
import { listAllSnapshots, type SnapshotRecord } from "../../datastore/test-support/store-check";
import { withWrite, writeSnapshot } from "../../datastore/test-support/temp-store";
import { type TempS3Store, type TestSwift, useSwift, useTempS3Store } from "../../datastore/test-support/swift";
import { isProcessAlive } from "../../platform/process";
import "./kinds";
import { startTask } from "../core/runner";
import { readTaskLog } from "../core/task-log";
import { taskStatus } from "../core/task-status";
import { parseUpid } from "../core/upid";
import { waitUntil } from "../test-support/env";

const ROUNDS = Number(process.env.COFFER_S3_KILL_ROUNDS ?? 3);
const T0 = 1_700_000_000;
const UPID = "UPID:testnode:00001234:00000001:00000000:65000000:verify:s3store:root@pam:";
const root = BackupNamespace.root;
const ns = (s: string) => BackupNamespace.parse(s);

let swift: TestSwift;
beforeAll(async () => {
  swift = await useSwift();
}, 120_000);
afterAll(async () => {
  await swift?.stop();
});

async function verifyAll(store: string) {
  const ds = await openDatastore(store, "read");
  try {
    return await verifyBackups(ds, { kind: "datastore" }, { upid: UPID, log: collectingLog(), threads: 1, ignoreVerified: false });
  } finally {
    await ds.close();
  }
}

/** Stray content of any age counts (Swift rounds Last-Modified up to the next second), so that the locks and the cache decide. */
async function gc(store: string) {
  return withWrite(store, (ds) => garbageCollection(ds, { upid: UPID, log: collectingLog(), skipAtimeCheck: true, strayMinAgeMs: -5000 }));
}

/** Every content file of the cache (outside dot directories), as datastore-relative paths. */
function cacheContent(base: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of readdirSync(path.join(base, rel), { withFileTypes: true })) {
      if (rel === "" && e.name.startsWith(".")) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else out.push(r);
    }
  };
  walk("");
  return out.sort();
}

/** After a GC, the bucket's content objects are the cache's files (namespace markers aside). */
async function assertBucketMatchesCache(t: TempS3Store) {
  await gc(t.name);
  const objects = (await t.keys(".cnt/")).map((k) => k.slice(".cnt/".length)).filter((k) => !k.endsWith("/.namespace"));
  expect(objects.sort()).toEqual(cacheContent(t.path));
}

function byKey(records: SnapshotRecord[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of records) {
    const key = `${r.ns}|${r.snapshot}`;
    expect(out.has(key), `snapshot ${key} listed twice`).toBe(false);
    out.set(key, r.files);
  }
  return out;
}

async function killAt(upid: string, ready: () => Promise<boolean>): Promise<boolean> {
  const { pid, pstart } = parseUpid(upid);
  await waitUntil(async () => !isProcessAlive(pid, pstart) || (await ready()), 120_000, "the task to make progress", 2);
  if (isProcessAlive(pid, pstart)) process.kill(pid, "SIGKILL");
  await waitUntil(() => !isProcessAlive(pid, pstart), 10_000, "the killed task to exit");
  return (await taskStatus(upid)).exitstatus === "unknown";
}

describe("S3 datastore on OpenStack Swift: interruptions", () => {
  it("a namespace move killed with SIGKILL at random points loses nothing and completes when run again", async () => {
    const t = await useTempS3Store(swift, "s3kill");
    try {
      await withWrite(t.name, async (ds) => {
        for (const n of ["a", "b"]) await ds.createNamespace(root, n);
        await ds.createNamespace(ns("a"), "x");
        let i = 0;
        for (const n of ["a", "a/x"]) {
          for (let g = 0; g < 4; g++, i++) {
            for (let s = 0; s < 2; s++) await writeSnapshot(ds, n, `vm/${100 + g}`, T0 + s * 3600, { image: Buffer.alloc(64 * 1024, (i * 7 + s) % 251) });
          }
        }
      });
      const rel = (records: SnapshotRecord[], prefix: string) =>
        new Map([...byKey(records.filter((r) => r.ns === prefix || r.ns.startsWith(`${prefix}/`)))].map(([k, v]) => [k.slice(prefix.length), v]));
      const expected = rel(await listAllSnapshots(t.name), "a");
      expect(expected.size).toBe(16);
      let [src, dst] = ["a", "b/a"];
      let interrupted = 0;
      for (let round = 0; interrupted < ROUNDS; round++) {
        expect(round, `only ${interrupted} of ${round} kills landed mid-move`).toBeLessThan(ROUNDS * 3);
        const { upid } = await startTask("move-namespace", { store: t.name, ns: src, "target-ns": dst }, {});
        const after = Math.floor(Math.random() * 8);
        if (
          await killAt(upid, async () => {
            const { lines } = await readTaskLog(upid, { start: 0, limit: 0 });
            return lines.filter((l) => l.t.includes(": moved group ")).length >= after;
          })
        ) {
          interrupted++;
        }
        const all = await listAllSnapshots(t.name);
        const here = rel(all, src);
        const there = rel(all, dst);
        for (const [key, files] of expected) {
          expect(Number(here.has(key)) + Number(there.has(key)), `snapshot ${key} exactly once`).toBe(1);
          expect(here.get(key) ?? there.get(key)).toEqual(files);
        }
        const srcLeft = (await listAllSnapshots(t.name)).some((r) => r.ns === src || r.ns.startsWith(`${src}/`));
        if (srcLeft) await withWrite(t.name, (ds) => moveNamespace(ds, ns(src), ns(dst), {}, collectingLog()));
        expect(rel(await listAllSnapshots(t.name), dst)).toEqual(expected);
        [src, dst] = [dst, src];
      }
      await assertBucketMatchesCache(t);
      // Verify reads every chunk from the bucket: the cache goes first.
      for (const f of chunkStoreFiles(t.path)) rmSync(f);
      expect(await verifyAll(t.name)).toMatchObject({ ok: 16, failed: [] });
    } finally {
      await t.cleanup();
    }
  }, 600_000);

  it("a backup killed with SIGKILL at random points leaves the previous snapshots intact and succeeds when run again", async () => {
    const t = await useTempS3Store(swift, "s3bkill");
    try {
      const source = path.join(t.home, "disk.img");
      let finished = 0;
      for (let round = 0; round < ROUNDS; round++) {
        // Fresh data each round (three 4 MiB image chunks), so the backup uploads and the kill,
        // after 0 to 2 new chunk objects, lands before, between or during uploads.
        writeFileSync(source, randomBytes(12 * 1024 * 1024));
        const before = await t.keys(".chunks/");
        const { upid } = await startTask(
          "backup",
          { store: t.name, ns: "", "backup-type": "vm", "backup-id": "100", "backup-time": T0 + round * 2, archives: [{ archive: "disk.img", path: source }] },
          {},
        );
        const after = Math.floor(Math.random() * 3);
        await killAt(upid, async () => (await t.keys(".chunks/")).length - before.length >= after);
        const snaps = (await listAllSnapshots(t.name)).filter((r) => r.files.includes("index.json.blob"));
        expect(snaps.length).toBeGreaterThanOrEqual(finished);
        // Run it again (as the next scheduled backup would), in its own task, to the end.
        const again = await startTask(
          "backup",
          { store: t.name, ns: "", "backup-type": "vm", "backup-id": "100", "backup-time": T0 + round * 2 + 1, archives: [{ archive: "disk.img", path: source }] },
          {},
        );
        const { pid, pstart } = parseUpid(again.upid);
        await waitUntil(() => !isProcessAlive(pid, pstart), 120_000, "the re-run backup to end");
        expect((await taskStatus(again.upid)).exitstatus).toBe("OK");
        finished = (await listAllSnapshots(t.name)).filter((r) => r.files.includes("index.json.blob")).length;
      }
      const finishedSnaps = (await listAllSnapshots(t.name)).filter((r) => r.files.includes("index.json.blob"));
      byKey(finishedSnaps);
      expect(finishedSnaps.length).toBeGreaterThanOrEqual(ROUNDS);
      // Unfinished snapshots of killed runs are what PBS leaves too (they can be forgotten);
      // forget them so that verify judges the finished ones.
      await withWrite(t.name, async (ds) => {
        for (const r of await listAllSnapshots(t.name)) {
          if (r.files.includes("index.json.blob")) continue;
          const [type, id, time] = r.snapshot.split("/");
          await ds.destroySnapshot(root, { type: type as "vm", id: id!, time: Math.floor(Date.parse(time!) / 1000) });
        }
      });
      await assertBucketMatchesCache(t);
      for (const f of chunkStoreFiles(t.path)) rmSync(f);
      expect(await verifyAll(t.name)).toMatchObject({ ok: finishedSnaps.length, failed: [] });
    } finally {
      await t.cleanup();
    }
  }, 600_000);

  it("GC racing a namespace move loses nothing", async () => {
    const t = await useTempS3Store(swift, "s3race");
    try {
      await withWrite(t.name, async (ds) => {
        await ds.createNamespace(root, "a");
        await ds.createNamespace(root, "b");
        for (let g = 0; g < 6; g++) await writeSnapshot(ds, "a", `ct/${g}`, T0, { image: randomBytes(64 * 1024) });
      });
      let [src, dst] = ["a", "b/a"];
      for (let round = 0; round < 3; round++) {
        // GC takes the bucket's chunks as they are: whatever it and the move interleave, the
        // snapshots' chunks and content must survive.
        await Promise.all([
          gc(t.name),
          withWrite(t.name, (ds) => moveNamespace(ds, ns(src), ns(dst), {}, collectingLog())),
        ]);
        [src, dst] = [dst, src];
      }
      await assertBucketMatchesCache(t);
      for (const f of chunkStoreFiles(t.path)) rmSync(f);
      expect(await verifyAll(t.name)).toMatchObject({ ok: 6, failed: [] });
    } finally {
      await t.cleanup();
    }
  }, 300_000);
});

describe("S3 datastore: the object store goes away mid-backup", () => {
  let own: TestSwift;
  let t: TempS3Store | undefined;
  beforeAll(async () => {
    own = await useSwift({ own: true });
  }, 120_000);
  afterAll(async () => {
    await t?.cleanup();
    await own?.stop();
  });

  it("fails cleanly with the previous snapshot intact, and succeeds once the store is back", async () => {
    t = await useTempS3Store(own, "s3down");
    const store = t.name;
    await withWrite(store, (ds) => writeSnapshot(ds, "", "vm/100", T0, { image: randomBytes(2 * 64 * 1024) }));

    const failed = await withWrite(store, async (ds) => {
      const w = await SnapshotWriter.begin(ds, root, { type: "vm", id: "100" }, { authId: LOCAL_ROOT, backupTime: T0 + 60 });
      try {
        await w.writeFixed(
          "disk.img",
          (async function* () {
            yield randomBytes(64 * 1024);
            // The store goes away between two chunks of the same archive.
            await own.stopProxy!();
            yield randomBytes(64 * 1024);
          })(),
          { chunkSize: 64 * 1024 },
        );
        await w.finish();
        return undefined;
      } catch (err) {
        await w.abort(err).catch(() => undefined);
        return err as Error;
      }
    });
    expect(failed?.message).toMatch(new RegExp(`inserting chunk on store 's3down' failed .* at ${own.endpoint.endpoint.replace(/[.]/g, "\\.")}`));
    const snaps = await listAllSnapshots(store);
    expect(snaps.map((s) => s.snapshot)).toEqual([`vm/100/2023-11-14T22:13:20Z`]);

    await own.startProxy!();
    await withWrite(store, (ds) => writeSnapshot(ds, "", "vm/100", T0 + 120, { image: randomBytes(2 * 64 * 1024) }));
    await assertBucketMatchesCache(t);
    for (const f of chunkStoreFiles(t.path)) rmSync(f);
    expect(await verifyAll(store)).toMatchObject({ ok: 2, failed: [] });
  }, 300_000);
});
