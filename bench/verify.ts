/**
 * Benchmark: verify of a whole store against `openssl dgst -sha256` over the same chunk files.
 *
 *   node --import tsx bench/verify.ts [--mib 1024] [--runs 5] [--threads N]
 *
 * Builds a store of MiB of random data (4 MiB chunks, PBS's default for images; 4 snapshots
 * in 4 groups, every chunk distinct) on tmpfs when there is one, so both sides read from memory
 * and the disk is out of the picture. Then, in turns, it times
 *   - Coffer: `verifyBackups` of the whole store, in-process, as the verify task runs it: the
 *     hashing threads' start-up, manifests, index checksums, every chunk read, CRC-checked and
 *     sha256'd, and the verify_state written back (ignore-verified off, so each run does it all);
 *   - the baseline: `openssl dgst -sha256 f1 f2 ...` over the same chunk files, one process at a
 *     time, batched to fit argv; it only hashes (no CRC, no index, no manifest).
 * It prints MB/s (10^6 bytes of chunk files per wall-clock second) for both and their ratio, and
 * the work done per CPU-second, which other load on a shared machine does not skew. Medians of
 * the runs; alternating the two sides evens out noise from other processes.
 */
import { execFile } from "node:child_process";
import { randomFillSync } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { LocalChunkStore } from "../server/datastore/storage/chunk-store";
import { updateDatastoreConfigs } from "../server/config/datastore-config";
import { FixedIndexReader } from "../server/datastore/format/fixed-index";
import { BackupNamespace, formatBackupTime } from "../server/datastore/model/names";
import { openDatastore } from "../server/datastore/open";
import { SnapshotWriter } from "../server/datastore/backup/snapshot-writer";
import { verifyBackups } from "../server/datastore/verify/verify";
import { defaultVerifyThreads } from "../server/datastore/verify/verify-pool";
import { arg } from "./support/args";

const execFileAsync = promisify(execFile);

const MIB = arg("mib", 1024);
const RUNS = arg("runs", 5);
const THREADS = arg("threads", defaultVerifyThreads());
const CHUNK = 4 * 1024 * 1024;
const SNAPSHOTS = 4;
const T0 = 1_700_000_000;
/** Bytes of file names per openssl invocation: far below ARG_MAX, as xargs would batch. */
const ARGV_BUDGET = 128 * 1024;

const tmp = existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir();
const home = mkdtempSync(path.join(tmp, "coffer-bench-verify-"));
process.env.COFFER_HOME = home;
const storeDir = path.join(home, "datastores", "bench");

async function* randomData(bytes: number): AsyncGenerator<Buffer> {
  for (let done = 0; done < bytes; done += CHUNK) yield randomFillSync(Buffer.allocUnsafe(Math.min(CHUNK, bytes - done)));
}

/** Writes the store through the engine; returns the chunk files. */
async function build(): Promise<string[]> {
  await LocalChunkStore.create(storeDir);
  await updateDatastoreConfigs((l) => [...l, { name: "bench", path: storeDir }]);
  const ds = await openDatastore("bench", "write");
  try {
    const per = Math.ceil((MIB * 1024 * 1024) / SNAPSHOTS / CHUNK) * CHUNK;
    for (let s = 0; s < SNAPSHOTS; s++) {
      const group = { type: "vm" as const, id: String(100 + s) };
      const w = await SnapshotWriter.begin(ds, BackupNamespace.root, group, { authId: "root@pam", backupTime: T0 });
      await w.writeBlob("qemu-server.conf", Buffer.from("cores: 2\nmemory: 2048\n"));
      await w.writeFixed("drive-scsi0.img", randomData(per), { chunkSize: CHUNK });
      await w.finish();
    }
  } finally {
    await ds.close();
  }
  const files: string[] = [];
  for (let s = 0; s < SNAPSHOTS; s++) {
    const fidx = path.join(storeDir, "vm", String(100 + s), formatBackupTime(T0), "drive-scsi0.img.fidx");
    for (const d of (await FixedIndexReader.open(fidx)).digests()) {
      const hex = d.toString("hex");
      files.push(path.join(storeDir, ".chunks", hex.slice(0, 4), hex));
    }
  }
  return files;
}

interface Timing {
  wall: number;
  /** CPU seconds spent on it, every thread or child process included. */
  cpu: number;
}

/** CPU seconds of this process (all its threads) and of its waited-for children. */
function cpuSeconds(): { self: number; children: number } {
  const u = process.cpuUsage();
  // /proc/self/stat after the command name: fields 16 and 17 (cutime, cstime) in clock ticks.
  const fields = readFileSync("/proc/self/stat", "utf8").replace(/^.*\) /, "").split(" ");
  const ticks = 100; // USER_HZ on Linux
  return { self: (u.user + u.system) / 1e6, children: (Number(fields[13]) + Number(fields[14])) / ticks };
}

async function timeCoffer(run: number): Promise<Timing> {
  const ds = await openDatastore("bench", "read");
  try {
    const cpu0 = cpuSeconds().self;
    const start = performance.now();
    const r = await verifyBackups(ds, { kind: "datastore" }, {
      upid: `UPID:bench:00000001:00000001:00000000:${(T0 + run).toString(16).toUpperCase()}:verify:bench:root@pam:`,
      ignoreVerified: false,
      threads: THREADS,
    });
    const wall = (performance.now() - start) / 1000;
    const cpu = cpuSeconds().self - cpu0;
    if (r.ok !== SNAPSHOTS || r.failed.length > 0) throw new Error(`verify did not pass: ${JSON.stringify(r)}`);
    return { wall, cpu };
  } finally {
    await ds.close();
  }
}

async function timeOpenssl(files: string[]): Promise<Timing> {
  const cpu0 = cpuSeconds().children;
  const start = performance.now();
  let batch: string[] = [];
  let len = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    await execFileAsync("openssl", ["dgst", "-sha256", ...batch], { maxBuffer: 64 * 1024 * 1024 });
    batch = [];
    len = 0;
  };
  for (const f of files) {
    if (len + f.length + 1 > ARGV_BUDGET) await flush();
    batch.push(f);
    len += f.length + 1;
  }
  await flush();
  return { wall: (performance.now() - start) / 1000, cpu: cpuSeconds().children - cpu0 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const t0 = performance.now();
  const files = await build();
  const mb = files.reduce((sum, f) => sum + statSync(f).size, 0) / 1e6;
  console.log(
    `store: ${files.length} chunks, ${mb.toFixed(0)} MB of chunk files on ${tmp} (built in ` +
      `${((performance.now() - t0) / 1000).toFixed(1)} s); ${os.availableParallelism()} cores, ${THREADS} hashing threads; ` +
      `load average ${os.loadavg()[0]!.toFixed(2)}`,
  );
  const show = (t: Timing) => `${t.wall.toFixed(2)} s = ${(mb / t.wall).toFixed(0)} MB/s (${(mb / t.cpu).toFixed(0)} MB per CPU-s)`;
  const coffer: Timing[] = [];
  const openssl: Timing[] = [];
  for (let run = 0; run < RUNS; run++) {
    const c = await timeCoffer(run);
    const o = await timeOpenssl(files);
    coffer.push(c);
    openssl.push(o);
    console.log(`run ${run + 1}: coffer verify ${show(c)} | openssl ${show(o)}`);
  }
  const cw = mb / median(coffer.map((t) => t.wall));
  const ow = mb / median(openssl.map((t) => t.wall));
  const cc = mb / median(coffer.map((t) => t.cpu));
  const oc = mb / median(openssl.map((t) => t.cpu));
  console.log(`median throughput: coffer verify ${cw.toFixed(0)} MB/s, openssl dgst -sha256 ${ow.toFixed(0)} MB/s, ratio ${(cw / ow).toFixed(2)}x`);
  console.log(`median work per CPU-second: coffer verify ${cc.toFixed(0)} MB, openssl ${oc.toFixed(0)} MB, ratio ${(cc / oc).toFixed(2)}x`);
  console.log(`load average after: ${os.loadavg()[0]!.toFixed(2)}`);
}

try {
  await main();
} finally {
  rmSync(home, { recursive: true, force: true });
}
