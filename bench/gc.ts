/**
 * Benchmark: garbage collection (phase 1 + phase 2) against a bare-loop baseline on the same
 * store, in the same run (DESIGN.md 12).
 *
 *   node --import tsx bench/gc.ts [--chunks N] [--rounds R] [--groups G] [--snapshots S]
 *
 * The store (on /dev/shm when it exists) holds G groups in two namespaces, S snapshots each; a
 * snapshot is a `.didx` of small chunks (256 bytes: GC never reads chunk contents, and 100,000
 * full-size chunks would need gigabytes), each snapshot replacing 20% of its predecessor's
 * chunks, as incremental backups do. Defaults give about N unique chunks.
 *
 * Baseline: what any GC must at least do, written as the tightest loop Node allows: read the same
 * index files (from a list it is handed, no directory walk), utimes every referenced chunk once
 * (a Set to skip repeats), then readdir all 65,536 chunk directories and lstat every entry.
 * Coffer's GC additionally walks the datastore twice (index listing and namespace/group/snapshot
 * hierarchy), keeps each chunk's mtime (an lstat before every utimes: Node has no UTIME_OMIT),
 * classifies, logs progress, and yields to the event loop every 25 ms. The atime safety check
 * (a fixed 1 s sleep, independent of the store) is timed apart.
 */
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

import { createDatastore } from "../server/datastore/lifecycle";
import { encodeBlob } from "../server/datastore/format/blob";
import { DynamicIndexWriter } from "../server/datastore/format/dynamic-index";
import { INDEX_HEADER_SIZE } from "../server/datastore/format/fixed-index";
import { serializeManifest } from "../server/datastore/format/manifest";
import { garbageCollection } from "../server/datastore/gc/gc";
import { collectingLog, nullLog } from "../server/datastore/model/log";
import { formatBackupTime } from "../server/datastore/model/names";
import { openDatastore, storeOf } from "../server/datastore/open";

const argv = process.argv.slice(2);
function intArg(name: string, dflt: number): number {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const n = Number(argv[i + 1]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} takes a positive whole number`);
  return n;
}
const CHUNKS = intArg("chunks", 100_000);
const ROUNDS = intArg("rounds", 5);
const GROUPS = intArg("groups", 20);
const SNAPSHOTS = intArg("snapshots", 5);
const CHURN = 0.2;
const PAYLOAD = 256;
const T0 = 1_700_000_000;

const ms = (t: number) => `${t.toFixed(0)} ms`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function buildStore(base: string): Promise<string[]> {
  const perSnapshot = Math.ceil(CHUNKS / (GROUPS * (1 + CHURN * (SNAPSHOTS - 1))));
  const churn = Math.round(perSnapshot * CHURN);
  const indexFiles: string[] = [];
  let unique = 0;
  const newChunk = (): Buffer => {
    const data = randomBytes(PAYLOAD);
    const digest = createHash("sha256").update(data).digest();
    const hex = digest.toString("hex");
    writeFileSync(path.join(base, ".chunks", hex.slice(0, 4), hex), encodeBlob(data));
    unique++;
    return digest;
  };
  for (let g = 0; g < GROUPS; g++) {
    const nsPath = g % 2 === 0 ? "" : "ns/bench";
    const groupDir = path.join(base, nsPath, "vm", String(100 + g));
    mkdirSync(groupDir, { recursive: true });
    writeFileSync(path.join(groupDir, "owner"), "root@pam\n");
    let digests = Array.from({ length: perSnapshot }, newChunk);
    for (let s = 0; s < SNAPSHOTS; s++) {
      if (s > 0) {
        digests = [...digests];
        for (let k = 0; k < churn; k++) digests[((s - 1) * churn + k) % digests.length] = newChunk();
      }
      const time = T0 + s * 3600;
      const dir = path.join(groupDir, formatBackupTime(time));
      mkdirSync(dir);
      const file = path.join(dir, "data.pxar.didx");
      const writer = await DynamicIndexWriter.create(file);
      digests.forEach((d, i) => writer.addChunk((i + 1) * PAYLOAD, d));
      const csum = await writer.close();
      writeFileSync(
        path.join(dir, "index.json.blob"),
        serializeManifest({
          "backup-type": "vm",
          "backup-id": String(100 + g),
          "backup-time": time,
          files: [{ filename: "data.pxar.didx", "crypt-mode": "none", size: digests.length * PAYLOAD, csum: csum.toString("hex") }],
          unprotected: {},
          signature: null,
        }),
      );
      indexFiles.push(file);
    }
  }
  console.log(`store: ${unique} chunks, ${indexFiles.length} index files, ${GROUPS * SNAPSHOTS * perSnapshot} chunk references`);
  return indexFiles;
}

/** The bare loop: the same index files, each chunk touched once, every chunk directory listed and its entries stat'ed. */
function baseline(indexFiles: string[], chunkDir: string): { touched: number; listed: number } {
  const seen = new Set<string>();
  const now = Date.now() / 1000;
  for (const f of indexFiles) {
    const raw = readFileSync(f);
    const [first, stride] = f.endsWith(".fidx") ? [INDEX_HEADER_SIZE, 32] : [INDEX_HEADER_SIZE + 8, 40];
    for (let off = first; off < raw.length; off += stride) {
      const hex = raw.toString("hex", off, off + 32);
      if (seen.has(hex)) continue;
      seen.add(hex);
      utimesSync(`${chunkDir}/${hex.slice(0, 4)}/${hex}`, now, now);
    }
  }
  let listed = 0;
  for (let i = 0; i < 0x10000; i++) {
    const dir = `${chunkDir}/${i.toString(16).padStart(4, "0")}`;
    for (const name of readdirSync(dir)) {
      lstatSync(`${dir}/${name}`);
      listed++;
    }
  }
  return { touched: seen.size, listed };
}

async function gc(name: string, skipAtimeCheck: boolean, log = nullLog) {
  const ds = await openDatastore(name, "write");
  try {
    return await garbageCollection(ds, { upid: "UPID:bench", log, skipAtimeCheck });
  } finally {
    await ds.close();
  }
}

async function main(): Promise<void> {
  const tmpBase = existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir();
  const home = await mkdtemp(path.join(tmpBase, "coffer-bench-gc-"));
  process.env.COFFER_HOME = home;
  try {
    const name = "bench";
    const base = path.join(home, "datastores", name);
    let t = performance.now();
    await createDatastore(name, { path: base });
    const indexFiles = await buildStore(base);
    console.log(`built in ${ms(performance.now() - t)} on ${tmpBase}; node ${process.version}, ${os.cpus().length} CPUs`);
    const chunkDir = path.join(base, ".chunks");

    // Warm-up (page cache, JIT) for both, untimed.
    baseline(indexFiles, chunkDir);
    await gc(name, true);

    const base_: number[] = [];
    const coffer: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      t = performance.now();
      const b = baseline(indexFiles, chunkDir);
      base_.push(performance.now() - t);
      t = performance.now();
      const s = await gc(name, true);
      coffer.push(performance.now() - t);
      if (s["disk-chunks"] !== b.touched || b.listed !== b.touched || s["removed-chunks"] + s["pending-chunks"] !== 0) {
        throw new Error(`GC and baseline disagree: ${JSON.stringify(s)} vs ${JSON.stringify(b)}`);
      }
    }
    const log = collectingLog();
    t = performance.now();
    await gc(name, false, log);
    const withCheck = performance.now() - t;

    console.log(`baseline rounds: ${base_.map(ms).join(", ")}`);
    console.log(`coffer GC rounds: ${coffer.map(ms).join(", ")}`);
    const mb = median(base_);
    const mc = median(coffer);
    console.log(`median baseline ${ms(mb)}, median coffer GC ${ms(mc)}, ratio ${(mc / mb).toFixed(2)}x (goal <= 1.5x)`);
    console.log(`one GC with the atime safety check: ${ms(withCheck)} (the check adds its fixed ~1 s sleep)`);
    console.log("last GC summary:");
    for (const l of log.lines.slice(-8)) console.log(`  ${l.message}`);
  } finally {
    await promisify(execFile)("rm", ["-rf", "--", home]);
  }
}

await main();
