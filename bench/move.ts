/**
 * Benchmark: `namespace move` of a tree of G groups x S snapshots (default 2,000 x 10) against a
 * baseline that renames the same snapshot directories in a bare loop on an identical copy.
 *
 *   node --import tsx bench/move.ts [--groups 2000] [--snapshots 10]
 *
 * Both trees are built the same way in the same run, on tmpfs when there is one. Coffer's move
 * runs in-process (no task process start-up), with every lock, the journal and the clean-up.
 * The baseline does only what a move cannot do without: create the target group directories
 * and rename every snapshot directory.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { LocalChunkStore } from "../server/datastore/storage/chunk-store";
import { updateDatastoreConfigs } from "../server/config/datastore-config";
import { nullLog } from "../server/datastore/model/log";
import { moveNamespace } from "../server/datastore/move/move-namespace";
import { BackupNamespace, formatBackupTime } from "../server/datastore/model/names";
import { openDatastore, storeOf } from "../server/datastore/open";
import { SnapshotWriter } from "../server/datastore/backup/snapshot-writer";

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
}

const GROUPS = arg("groups", 2000);
const SNAPSHOTS = arg("snapshots", 10);
const T0 = 1_700_000_000;
const tmp = existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir();
const home = mkdtempSync(path.join(tmp, "coffer-bench-move-"));
process.env.COFFER_HOME = home;

/** One real snapshot written by the engine, used as the template for every other one. */
async function template(): Promise<string> {
  const dir = path.join(home, "template");
  await LocalChunkStore.create(dir);
  await updateDatastoreConfigs((l) => [...l, { name: "template", path: dir }]);
  const ds = await openDatastore("template", "write");
  const w = await SnapshotWriter.begin(ds, BackupNamespace.root, { type: "vm", id: "1" }, { authId: "root@pam", backupTime: T0 });
  await w.writeBlob("qemu-server.conf", Buffer.from("cores: 2\n"));
  await w.writeFixed("drive-scsi0.img", (async function* () { yield Buffer.alloc(256 * 1024, 1); })(), { chunkSize: 64 * 1024 });
  await w.finish();
  await ds.close();
  return path.join(dir, "vm/1", formatBackupTime(T0));
}

/** The tree: `src/<n % 10>/<type>/<id>/<time>` for every group and snapshot. */
function build(base: string, snapshotTemplate: string): void {
  const types = ["vm", "ct", "host"];
  for (let g = 0; g < GROUPS; g++) {
    const groupDir = path.join(base, "ns/src/ns", `part${g % 10}`, types[g % 3]!, String(1000 + g));
    mkdirSync(groupDir, { recursive: true });
    writeFileSync(path.join(groupDir, "owner"), "root@pam\n");
    for (let s = 0; s < SNAPSHOTS; s++) cpSync(snapshotTemplate, path.join(groupDir, formatBackupTime(T0 + s * 3600)), { recursive: true });
  }
  mkdirSync(path.join(base, "ns/dst"), { recursive: true });
}

function baseline(base: string): void {
  const src = path.join(base, "ns/src/ns");
  for (const part of readdirSync(src)) {
    for (const type of readdirSync(path.join(src, part))) {
      for (const id of readdirSync(path.join(src, part, type))) {
        const from = path.join(src, part, type, id);
        const to = path.join(base, "ns/dst/ns/src/ns", part, type, id);
        mkdirSync(to, { recursive: true });
        for (const snap of readdirSync(from)) if (snap !== "owner") renameSync(path.join(from, snap), path.join(to, snap));
      }
    }
  }
}

async function main() {
  console.log(`building 2 x ${GROUPS} groups x ${SNAPSHOTS} snapshots in ${home} ...`);
  const tpl = await template();
  const coffer = path.join(home, "coffer");
  const bare = path.join(home, "bare");
  await LocalChunkStore.create(coffer);
  await updateDatastoreConfigs((l) => [...l, { name: "bench", path: coffer }]);
  build(coffer, tpl);
  mkdirSync(bare);
  build(bare, tpl);

  let t = process.hrtime.bigint();
  baseline(bare);
  const baseMs = Number(process.hrtime.bigint() - t) / 1e6;

  const ds = await openDatastore("bench", "write");
  t = process.hrtime.bigint();
  const r = await moveNamespace(ds, BackupNamespace.parse("src"), BackupNamespace.parse("dst/src"), {}, nullLog);
  const cofferMs = Number(process.hrtime.bigint() - t) / 1e6;
  await ds.close();
  if (r.moved !== GROUPS) throw new Error(`moved ${r.moved} of ${GROUPS} groups`);

  const n = GROUPS * SNAPSHOTS;
  console.log(`snapshots moved:   ${n}`);
  console.log(`baseline (rename): ${baseMs.toFixed(0)} ms (${((baseMs * 1000) / n).toFixed(1)} us/snapshot)`);
  console.log(`coffer move:       ${cofferMs.toFixed(0)} ms (${((cofferMs * 1000) / n).toFixed(1)} us/snapshot)`);
  console.log(`ratio coffer/baseline: ${(cofferMs / baseMs).toFixed(2)}x (goal: <= 2x)`);
  rmSync(home, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  rmSync(home, { recursive: true, force: true });
  process.exit(1);
});
