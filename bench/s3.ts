/**
 * Benchmark: an S3 datastore on OpenStack Swift (s3api, one node on loopback, started here)
 * against a local datastore, on the same data in the same run (DESIGN.md 12): backup, restore
 * (warm cache and cold cache, the latter downloading every chunk), GC with nothing to remove and
 * GC removing everything, and the object requests per GiB backed up.
 *
 *   node --import tsx bench/s3.ts [--mib N] [--rounds R]
 *
 * The data is N MiB of random bytes (nothing deduplicates), backed up as a fixed-chunk image
 * with PBS's 4 MiB chunks. Both stores and Swift's data directory are on /dev/shm when it exists,
 * so the comparison is of the protocol, not of disks. Set COFFER_TEST_S3_ENDPOINT to use a
 * running Swift (node scripts/swift.mjs) instead of starting one.
 */
import { randomBytes } from "node:crypto";
import { createReadStream, existsSync, readdirSync, rmSync, utimesSync, lstatSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { startSwift, SWIFT_CREDENTIALS } from "../scripts/swift.mjs";
import { arg } from "./support/args";
import { createDatastore } from "../server/datastore/lifecycle";
import { SnapshotWriter } from "../server/datastore/backup/snapshot-writer";
import { restoreArchive } from "../server/datastore/backup/restore";
import { garbageCollection } from "../server/datastore/gc/gc";
import { nullLog } from "../server/datastore/model/log";
import { BackupNamespace } from "../server/datastore/model/names";
import { LOCAL_ROOT } from "../server/datastore/model/owner";
import { openDatastore, storeOf } from "../server/datastore/open";
import type { S3Backend } from "../server/datastore/storage/s3-backend";

const MIB = arg("mib", 256);
const ROUNDS = arg("rounds", 3);
const CHUNK = 4 * 1024 * 1024;
const T0 = 1_700_000_000;
const UPID = "UPID:bench:00000001:00000001:00000000:65000000:garbage_collection:bench:root@pam:";
const root = BackupNamespace.root;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mibps = (ms: number) => `${((MIB * 1000) / ms).toFixed(1)} MiB/s`;

async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const r = await fn();
  return [performance.now() - t, r];
}

/** Requests the store's S3 client sent so far (clients live per process, s3-clients.ts). */
function requests(ds: Awaited<ReturnType<typeof openDatastore<"write">>>): number {
  const backend = storeOf(ds).backend;
  return backend.kind === "s3" ? (backend as S3Backend).client.requests : 0;
}

async function backup(store: string, source: string, t: number): Promise<number> {
  const ds = await openDatastore(store, "write");
  try {
    const w = await SnapshotWriter.begin(ds, root, { type: "vm", id: "100" }, { authId: LOCAL_ROOT, backupTime: t });
    await w.writeFixed("disk.img", createReadStream(source, { highWaterMark: CHUNK }), { chunkSize: CHUNK });
    await w.finish();
    return requests(ds);
  } finally {
    await ds.close();
  }
}

async function restore(store: string, t: number, dest: string): Promise<void> {
  rmSync(dest, { force: true });
  const ds = await openDatastore(store, "read");
  try {
    await restoreArchive(ds, root, { type: "vm", id: "100", time: t }, "disk.img", dest);
  } finally {
    await ds.close();
  }
}

async function gc(store: string): Promise<void> {
  const ds = await openDatastore(store, "write");
  try {
    await garbageCollection(ds, { upid: UPID, log: nullLog, skipAtimeCheck: true });
  } finally {
    await ds.close();
  }
}

function cachedChunks(base: string): string[] {
  const out: string[] = [];
  for (const sub of readdirSync(path.join(base, ".chunks"))) {
    for (const name of readdirSync(path.join(base, ".chunks", sub))) out.push(path.join(base, ".chunks", sub, name));
  }
  return out;
}

function ageChunks(base: string): void {
  const old = Date.now() / 1000 - 3 * 86400;
  for (const f of cachedChunks(base)) utimesSync(f, old, lstatSync(f).mtimeMs / 1000);
}

async function forget(store: string, t: number): Promise<void> {
  const ds = await openDatastore(store, "write");
  try {
    await ds.destroySnapshot(root, { type: "vm", id: "100", time: t });
  } finally {
    await ds.close();
  }
}

const tmp = existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir();
const home = await mkdtemp(path.join(tmp, "coffer-bench-s3-"));
process.env.COFFER_HOME = home;
process.env.COFFER_S3_ACCESS_KEY = SWIFT_CREDENTIALS.accessKeyId;
process.env.COFFER_S3_SECRET_KEY = SWIFT_CREDENTIALS.secretAccessKey;
const swift = process.env.COFFER_TEST_S3_ENDPOINT ? undefined : await startSwift();
const endpoint = process.env.COFFER_TEST_S3_ENDPOINT ?? swift!.endpoint;
try {
  await createDatastore("local", { path: path.join(home, "local") });
  await createDatastore("swift", { path: path.join(home, "swift-cache"), s3: { endpoint, bucket: `bench-${Date.now()}`, pathStyle: true } });
  const source = path.join(home, "data.img");
  const dest = path.join(home, "restored.img");
  console.log(`data: ${MIB} MiB random, 4 MiB fixed chunks, ${ROUNDS} rounds; Swift at ${endpoint}; load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}`);

  const rows: Record<string, { local: number[]; s3: number[] }> = {};
  const add = (name: string, local: number, s3: number) => {
    rows[name] ??= { local: [], s3: [] };
    rows[name].local.push(local);
    rows[name].s3.push(s3);
  };
  let requestsPerGiB: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    writeFileSync(source, randomBytes(MIB * 1024 * 1024));
    const t = T0 + r;
    const [bl] = await time(() => backup("local", source, t));
    const before = await (async () => {
      const ds = await openDatastore("swift", "write");
      try {
        return requests(ds);
      } finally {
        await ds.close();
      }
    })();
    const [bs, after] = await time(() => backup("swift", source, t));
    requestsPerGiB.push(((after - before) * 1024) / MIB);
    add("backup", bl, bs);

    // Each pair runs in alternating order, so that neither side always meets a cold page cache
    // or an unoptimised code path first.
    const pair = async (a: () => Promise<unknown>, b: () => Promise<unknown>): Promise<[number, number]> => {
      if (r % 2 === 0) return [(await time(a))[0], (await time(b))[0]];
      const [tb] = await time(b);
      return [(await time(a))[0], tb];
    };
    const [rl, rs] = await pair(() => restore("local", t, dest), () => restore("swift", t, dest));
    add("restore (warm cache)", rl, rs);
    for (const f of cachedChunks(path.join(home, "swift-cache"))) rmSync(f);
    const [rc] = await time(() => restore("swift", t, dest));
    add("restore (cold cache)", rl, rc);

    const [gl, gs] = await pair(() => gc("local"), () => gc("swift"));
    add("GC, all chunks in use", gl, gs);

    await forget("local", t);
    await forget("swift", t);
    ageChunks(path.join(home, "local"));
    ageChunks(path.join(home, "swift-cache"));
    const [gl2, gs2] = await pair(() => gc("local"), () => gc("swift"));
    add(`GC, removing ${MIB / 4} chunks`, gl2, gs2);
  }
  console.log(`\n${"operation".padEnd(28)} ${"local".padStart(12)} ${"swift".padStart(12)}  ratio (swift/local), medians of ${ROUNDS}`);
  for (const [name, { local, s3 }] of Object.entries(rows)) {
    const l = median(local);
    const s = median(s3);
    const rate = name.startsWith("backup") || name.startsWith("restore") ? `  (${mibps(l)} vs ${mibps(s)})` : "";
    console.log(`${name.padEnd(28)} ${`${l.toFixed(0)} ms`.padStart(12)} ${`${s.toFixed(0)} ms`.padStart(12)}  ${(s / l).toFixed(2)}x${rate}`);
  }
  console.log(`object requests per GiB backed up: ${median(requestsPerGiB).toFixed(0)} (4 MiB chunks: 256 chunk uploads per GiB, plus the snapshot's files)`);
} finally {
  await swift?.stop();
  rmSync(home, { recursive: true, force: true });
}
