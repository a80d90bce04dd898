/**
 * Benchmark: `namespace move` of a tree of G groups x S snapshots against a baseline that
 * renames the same snapshot directories in a bare loop on an identical copy.
 *
 *   node --import tsx bench/move.ts [--sizes 500x10,5000x10] [--rounds 3] [--no-strace] [--no-cli] [--profile FILE]
 *
 * Per size, identical trees are built in the same run (on tmpfs when there is one; the files of
 * every snapshot are hard links to one engine-written snapshot, so 50,000 snapshots cost no
 * memory to speak of, and a move never reads them). Then, on separate copies, `--rounds` times
 * forward (`src` -> `dst/src`) and back, so each tool is timed 2 x rounds times, interleaved, and
 * the medians are compared (one run swings by a third on a shared machine):
 * - the baseline: create the target group directories and rename every snapshot directory;
 * - Coffer in process: `moveNamespace` with every lock, the move journal and the clean-up;
 * - Coffer end to end: `bin/coffer namespace move` (CLI start, pre-flight, the task process,
 *   following its log); the same command on an empty namespace is timed too, which is the
 *   fixed cost of starting the CLI and the task process, reported separately;
 * - with strace installed, the syscalls per snapshot of the in-process move and of the bare
 *   loop: each runs in a child under `strace -f -c`, once on the tree and once on an empty one,
 *   and the difference is divided by the snapshot count (process start-up cancels out).
 * `--profile FILE` writes a V8 CPU profile of the first in-process move (of the last size) to
 * FILE, for Chrome DevTools or `node --cpu-prof`-style tooling.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Session } from "node:inspector/promises";
import { LocalChunkStore } from "../server/datastore/storage/chunk-store";
import { updateDatastoreConfigs } from "../server/config/datastore-config";
import { nullLog } from "../server/datastore/model/log";
import { moveNamespace } from "../server/datastore/move/move-namespace";
import { BackupNamespace, formatBackupTime } from "../server/datastore/model/names";
import { openDatastore } from "../server/datastore/open";
import { SnapshotWriter } from "../server/datastore/backup/snapshot-writer";

const T0 = 1_700_000_000;
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SRC = BackupNamespace.parse("src");
const DST = BackupNamespace.parse("dst/src");

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function ms(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e6;
}

/** CPU time (user + system) of this process since `since`: less at the mercy of other load than wall time. */
function cpuMs(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
}

/** One real snapshot written by the engine: the files every snapshot of the trees links to. */
async function template(home: string): Promise<string> {
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

/** The tree: `ns/src/ns/part<n % 10>/<type>/<id>/<time>/*`, plus empty namespaces `empty*`. */
function build(base: string, tpl: string, groups: number, snapshots: number): void {
  const types = ["vm", "ct", "host"];
  const files = readdirSync(tpl);
  for (let g = 0; g < groups; g++) {
    const groupDir = path.join(base, "ns/src/ns", `part${g % 10}`, types[g % 3]!, String(1000 + g));
    mkdirSync(groupDir, { recursive: true });
    writeFileSync(path.join(groupDir, "owner"), "root@pam\n");
    for (let s = 0; s < snapshots; s++) {
      const snap = path.join(groupDir, formatBackupTime(T0 + s * 3600));
      mkdirSync(snap);
      for (const f of files) linkSync(path.join(tpl, f), path.join(snap, f));
    }
  }
  mkdirSync(path.join(base, "ns/src/ns"), { recursive: true });
  mkdirSync(path.join(base, "ns/dst"), { recursive: true });
  for (const e of ["empty", "empty1", "empty2", "empty3"]) mkdirSync(path.join(base, "ns", e), { recursive: true });
}

/** A bare tree for the baseline (no datastore around it). */
function buildBare(base: string, tpl: string, groups: number, snapshots: number): void {
  mkdirSync(base, { recursive: true });
  build(base, tpl, groups, snapshots);
}

async function buildStore(home: string, name: string, tpl: string, groups: number, snapshots: number): Promise<string> {
  const dir = path.join(home, name);
  await LocalChunkStore.create(dir);
  await updateDatastoreConfigs((l) => [...l, { name, path: dir }]);
  build(dir, tpl, groups, snapshots);
  return dir;
}

/**
 * What a move cannot do without: make the target group directories, rename every snapshot.
 * `back` moves the tree from `dst/src` to `src` again (the next round's forward move).
 */
function bareLoop(base: string, back = false): void {
  const [from, to] = back ? ["ns/dst/ns/src/ns", "ns/src/ns"] : ["ns/src/ns", "ns/dst/ns/src/ns"];
  const src = path.join(base, from);
  for (const part of readdirSync(src)) {
    for (const type of readdirSync(path.join(src, part))) {
      for (const id of readdirSync(path.join(src, part, type))) {
        const fromDir = path.join(src, part, type, id);
        const toDir = path.join(base, to, part, type, id);
        mkdirSync(toDir, { recursive: true });
        for (const snap of readdirSync(fromDir)) if (snap !== "owner") renameSync(path.join(fromDir, snap), path.join(toDir, snap));
      }
    }
  }
}

async function moveInProcess(store: string, source = SRC, target = DST): Promise<number> {
  const ds = await openDatastore(store, "write");
  try {
    return (await moveNamespace(ds, source, target, {}, nullLog)).moved;
  } finally {
    await ds.close();
  }
}

/** Runs `fn` under the V8 CPU profiler and writes the profile to `file`. */
async function profiled<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 100 });
  await session.post("Profiler.start");
  try {
    return await fn();
  } finally {
    const { profile } = await session.post("Profiler.stop");
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
    console.log(`  CPU profile of the in-process move: ${file}`);
  }
}

function cli(args: string[]): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(path.join(repo, "bin/coffer"), args, { env: process.env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  const elapsed = ms(t);
  if (r.status !== 0) throw new Error(`coffer ${args.join(" ")} failed (${r.status}): ${r.stderr}\n${r.stdout.slice(-2000)}`);
  return elapsed;
}

interface Syscalls {
  total: number;
  byName: Map<string, number>;
}

/** Runs this script in `--child` mode under `strace -f -c` and reads the summary. */
function straced(childArgs: string[], out: string): Syscalls {
  const r = spawnSync(
    "strace",
    ["-f", "-c", "-o", out, process.execPath, "--import", "tsx", fileURLToPath(import.meta.url), "--child", ...childArgs],
    { env: process.env, encoding: "utf8", cwd: repo },
  );
  if (r.status !== 0) throw new Error(`strace child failed (${r.status}): ${r.stderr}`);
  const byName = new Map<string, number>();
  let total = 0;
  for (const line of readFileSync(out, "utf8").split("\n")) {
    const f = line.trim().split(/\s+/);
    // % time, seconds, usecs/call, calls, [errors], syscall
    if (f.length < 5 || !/^[0-9.]+$/.test(f[0]!)) continue;
    const name = f[f.length - 1]!;
    const calls = Number(f[3]);
    if (name === "total") total = calls;
    else byName.set(name, calls);
  }
  return { total, byName };
}

function perSnapshot(full: Syscalls, empty: Syscalls, n: number): { total: number; top: string } {
  const diff = [...full.byName].map(([name, c]) => [name, (c - (empty.byName.get(name) ?? 0)) / n] as const);
  const top = diff
    .filter(([, c]) => c >= 0.05)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 10)
    .map(([name, c]) => `${name} ${c.toFixed(2)}`)
    .join(", ");
  return { total: (full.total - empty.total) / n, top };
}

async function child(args: string[]): Promise<void> {
  const [mode, target, source, dest] = args;
  if (mode === "bare") bareLoop(target!);
  else {
    const moved = await moveInProcess(target!, BackupNamespace.parse(source!), BackupNamespace.parse(dest!));
    process.stdout.write(`moved ${moved}\n`);
  }
}

async function runSize(
  home: string,
  tpl: string,
  groups: number,
  snapshots: number,
  withStrace: boolean,
  withCli: boolean,
  rounds: number,
): Promise<string[]> {
  const n = groups * snapshots;
  const tag = `${groups}x${snapshots}`;
  console.log(`\n== ${groups} groups x ${snapshots} snapshots = ${n} snapshots: building the copies ...`);
  const bare = path.join(home, `bare-${tag}`);
  buildBare(bare, tpl, groups, snapshots);
  const inproc = `ip${tag}`;
  const viaCli = `cli${tag}`;
  await buildStore(home, inproc, tpl, groups, snapshots);
  await buildStore(home, viaCli, tpl, groups, snapshots);

  // Every round moves each copy forward and back: 2 x rounds samples per tool, medians compared.
  const bareRuns: number[] = [];
  const bareCpus: number[] = [];
  const inprocRuns: number[] = [];
  const inprocCpus: number[] = [];
  const cliRuns: number[] = [];
  const profile = option("profile");
  for (let round = 0; round < rounds; round++) {
    for (const back of [false, true]) {
      let t = process.hrtime.bigint();
      let cpu = process.cpuUsage();
      bareLoop(bare, back);
      bareRuns.push(ms(t));
      bareCpus.push(cpuMs(cpu));

      const [from, to] = back ? [DST, SRC] : [SRC, DST];
      t = process.hrtime.bigint();
      cpu = process.cpuUsage();
      const once = () => moveInProcess(inproc, from, to);
      const moved = await (profile !== undefined && round === 0 && !back ? profiled(profile, once) : once());
      inprocRuns.push(ms(t));
      inprocCpus.push(cpuMs(cpu));
      if (moved !== groups) throw new Error(`moved ${moved} of ${groups} groups`);

      if (withCli) cliRuns.push(cli(["namespace", "move", viaCli, from.toString(), "--target-ns", to.toString()]));
    }
  }
  const bareMs = median(bareRuns);
  const inprocMs = median(inprocRuns);
  const bareCpu = median(bareCpus);
  const inprocCpu = median(inprocCpus);
  const spread = (runs: number[]) => `${Math.min(...runs).toFixed(0)}-${Math.max(...runs).toFixed(0)}`;
  const head = [
    `${tag}: ${n} snapshots, medians of ${bareRuns.length} moves (forward and back) per tool`,
    `  bare rename loop:        ${bareMs.toFixed(0)} ms (${((bareMs * 1000) / n).toFixed(1)} us/snapshot; ${spread(bareRuns)}), CPU ${bareCpu.toFixed(0)} ms`,
    `  coffer in process:       ${inprocMs.toFixed(0)} ms (${((inprocMs * 1000) / n).toFixed(1)} us/snapshot; ${spread(inprocRuns)})  ratio ${(inprocMs / bareMs).toFixed(2)}x, CPU ${inprocCpu.toFixed(0)} ms (ratio ${(inprocCpu / bareCpu).toFixed(2)}x)`,
  ];
  if (!withCli) {
    for (const l of head) console.log(l);
    return head;
  }

  // The fixed cost: the same command moving an empty namespace (best of three).
  const startup = Math.min(...[1, 2, 3].map((i) => cli(["namespace", "move", viaCli, `empty${i}`, "--target-ns", `dst/empty${i}`])));
  const cliMs = median(cliRuns);

  const lines = [
    ...head,
    `  coffer CLI end to end:   ${cliMs.toFixed(0)} ms (${spread(cliRuns)})  ratio ${(cliMs / bareMs).toFixed(2)}x (goal <= 4x at 5000x10)`,
    `    of which CLI + task process start-up (empty move): ${startup.toFixed(0)} ms; the rest ${(cliMs - startup).toFixed(0)} ms, ratio ${((cliMs - startup) / bareMs).toFixed(2)}x`,
  ];

  if (withStrace) {
    const st = `st${tag}`;
    await buildStore(home, st, tpl, groups, snapshots);
    const bare2 = path.join(home, `bare2-${tag}`);
    buildBare(bare2, tpl, groups, snapshots);
    const bareEmpty = path.join(home, `bare-empty-${tag}`);
    buildBare(bareEmpty, tpl, 0, 0);
    const out = path.join(home, "strace.txt");
    const cofferFull = straced(["move", st, "src", "dst/src"], out);
    const cofferEmpty = straced(["move", st, "empty", "dst/empty"], out);
    const bareFull = straced(["bare", bare2], out);
    const bareNone = straced(["bare", bareEmpty], out);
    const c = perSnapshot(cofferFull, cofferEmpty, n);
    const b = perSnapshot(bareFull, bareNone, n);
    lines.push(`  syscalls per snapshot:   coffer ${c.total.toFixed(1)}, bare loop ${b.total.toFixed(1)}`);
    lines.push(`    coffer: ${c.top}`);
    lines.push(`    bare:   ${b.top}`);
  }
  for (const l of lines) console.log(l);
  for (const d of [bare, path.join(home, inproc), path.join(home, viaCli), path.join(home, `st${tag}`), path.join(home, `bare2-${tag}`)]) {
    rmSync(d, { recursive: true, force: true });
  }
  return lines;
}

async function main() {
  const tmp = existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir();
  const home = mkdtempSync(path.join(tmp, "coffer-bench-move-"));
  process.env.COFFER_HOME = home;
  const sizes = (option("sizes") ?? "500x10,5000x10").split(",").map((s) => s.split("x").map(Number) as [number, number]);
  const withCli = !process.argv.includes("--no-cli");
  const rounds = Number(option("rounds") ?? 3);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds takes a whole number of at least 1, not ${option("rounds")}`);
  let withStrace = withCli && !process.argv.includes("--no-strace");
  if (withStrace) {
    try {
      execFileSync("strace", ["-V"], { stdio: "ignore" });
    } catch {
      console.log("strace not found: syscalls per snapshot are not measured");
      withStrace = false;
    }
  }
  try {
    const tpl = await template(home);
    const all: string[] = [];
    for (const [groups, snapshots] of sizes) all.push(...(await runSize(home, tpl, groups, snapshots, withStrace, withCli, rounds)));
    console.log(`\nsummary (load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}, ${os.availableParallelism()} cores):`);
    for (const l of all) console.log(l);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

const childAt = process.argv.indexOf("--child");
(childAt === -1 ? main() : child(process.argv.slice(childAt + 1))).catch((err) => {
  console.error(err);
  process.exit(1);
});
