/**
 * Benchmark: backing up the same data set with Coffer and with restic, first run and an
 * unchanged second run, with `openssl dgst -sha256` over the data as the hashing limit.
 *
 *   node --import tsx bench/backup.ts [--mib 1024] [--files 4] [--rounds 3]
 *
 * Builds MiB of random data in a few files on tmpfs (when there is one), so disks are out of
 * the picture, then times, each on a fresh repository/datastore:
 *   - Coffer, as a user runs it: `bin/coffer backup <store> host/bench ...` end to end (CLI
 *     start, pre-flight, the task process, following its log; both processes run the CLI
 *     bundle in dist/cli/, built first when it is stale), in two forms:
 *       directory: `data.pxar=<dir>` (one directory-stream archive, content-defined chunks);
 *       images:    `f0.img=<file> ...` (one fixed-chunk image per file);
 *     the task's own time (its `done in X s` line) is printed beside it;
 *   - restic: `restic -r <repo> backup <dir>` (Debian's restic, local repository on tmpfs,
 *     RESTIC_PASSWORD set); skipped, and said so, when restic is not installed;
 *   - `openssl dgst -sha256` over the files: one core hashing the data once, nothing else.
 * Then the second run of each, unchanged. Each round starts from an empty datastore and an empty
 * restic repository; medians over the rounds are compared (the machine is shared and noisy).
 * Coffer's change detection trusts a source only when
 * it was last modified at least 2 s before it is read, so the bench waits until the data is
 * 2 s old before the first run (restic has no such rule).
 */
import { execFile, spawn } from "node:child_process";
import { randomFillSync } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { ensureCli } from "../scripts/cli-bundle.mjs";
import { LocalChunkStore } from "../server/datastore/storage/chunk-store";
import { updateDatastoreConfigs } from "../server/config/datastore-config";
import { arg } from "./support/args";

const execFileAsync = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bin = path.join(repo, "bin", "coffer");

const MIB = arg("mib", 1024);
const FILES = arg("files", 4);
const ROUNDS = arg("rounds", 3);
const tmp = existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir();
const base = mkdtempSync(path.join(tmp, "coffer-bench-backup-"));
const dataDir = path.join(base, "data");
const home = path.join(base, "home");
process.env.COFFER_HOME = home;

function makeData(): string[] {
  mkdirSync(dataDir);
  const files: string[] = [];
  const per = Math.ceil((MIB * 1024 * 1024) / FILES);
  const buf = Buffer.allocUnsafe(8 * 1024 * 1024);
  for (let i = 0; i < FILES; i++) {
    const file = path.join(dataDir, `f${i}.raw`);
    const parts: Buffer[] = [];
    for (let done = 0; done < per; done += buf.length) parts.push(Buffer.from(randomFillSync(buf).subarray(0, Math.min(buf.length, per - done))));
    writeFileSync(file, Buffer.concat(parts));
    files.push(file);
  }
  return files;
}

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ seconds: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const p = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("error", reject);
    p.on("close", (code) => {
      const seconds = (performance.now() - start) / 1000;
      if (code === 0) resolve({ seconds, stdout });
      else reject(new Error(`${cmd} ${args.join(" ")} failed (${code}): ${stderr}${stdout.slice(-2000)}`));
    });
  });
}

async function createStore(name: string): Promise<void> {
  const dir = path.join(home, "datastores", name);
  await LocalChunkStore.create(dir);
  await updateDatastoreConfigs((l) => [...l, { name, path: dir }]);
}

interface Result {
  wall: number;
  /** The backup task's own time (Coffer only). */
  task?: number;
  detail: string;
}

async function coffer(store: string, archives: string[], time: number): Promise<Result> {
  const r = await run(bin, ["backup", store, "host/bench", ...archives, "--backup-time", String(time)]);
  const done = /^backup \S+ done in ([0-9.]+) s: (.*)$/m.exec(r.stdout);
  if (!done) throw new Error(`no summary line in:\n${r.stdout}`);
  return { wall: r.seconds, task: Number(done[1]), detail: done[2]! };
}

async function hasRestic(): Promise<boolean> {
  try {
    await execFileAsync("restic", ["version"]);
    return true;
  } catch {
    return false;
  }
}

const show = (r: Result | undefined) =>
  r === undefined ? "skipped" : `${r.wall.toFixed(2)} s${r.task === undefined ? "" : ` (task ${r.task.toFixed(2)} s)`}`;
const ratio = (a: Result | undefined, b: Result | undefined) => (a && b ? `${(a.wall / b.wall).toFixed(2)}x` : "-");

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Round {
  dir: [Result, Result];
  img: [Result, Result];
  restic?: [Result, Result];
  openssl: Result;
}

async function round(r: number, files: string[], restic: boolean): Promise<Round> {
  await createStore(`dirs${r}`);
  await createStore(`images${r}`);
  const resticEnv = { RESTIC_PASSWORD: "bench", RESTIC_CACHE_DIR: path.join(base, `restic-cache${r}`) };
  const resticRepo = path.join(base, `restic-repo${r}`);
  if (restic) await run("restic", ["-r", resticRepo, "init"], resticEnv);
  const images = files.map((f, i) => `f${i}.img=${f}`);
  const resticRun = async (): Promise<Result> => ({ wall: (await run("restic", ["-r", resticRepo, "backup", dataDir], resticEnv)).seconds, detail: "" });
  const openssl: Result = { wall: (await run("openssl", ["dgst", "-sha256", ...files])).seconds, detail: "" };
  const first = {
    dir: await coffer(`dirs${r}`, [`data.pxar=${dataDir}`], 1_700_000_000),
    img: await coffer(`images${r}`, images, 1_700_000_000),
    restic: restic ? await resticRun() : undefined,
  };
  const second = {
    dir: await coffer(`dirs${r}`, [`data.pxar=${dataDir}`], 1_700_000_100),
    img: await coffer(`images${r}`, images, 1_700_000_100),
    restic: restic ? await resticRun() : undefined,
  };
  const out: Round = { dir: [first.dir, second.dir], img: [first.img, second.img], openssl };
  if (first.restic && second.restic) out.restic = [first.restic, second.restic];
  console.log(
    `round ${r + 1}: directory ${show(first.dir)} / ${show(second.dir)} | images ${show(first.img)} / ${show(second.img)} | ` +
      `restic ${show(first.restic)} / ${show(second.restic)} | openssl ${openssl.wall.toFixed(2)} s | load ${os.loadavg()[0]!.toFixed(2)}`,
  );
  if (r === 0) {
    console.log(`  coffer directory: first run ${first.dir.detail}; second run ${second.dir.detail}`);
    console.log(`  coffer images:    first run ${first.img.detail}; second run ${second.img.detail}`);
  }
  return out;
}

/** The median run by wall time, keeping its task time with it. */
function med(results: Result[]): Result {
  const sorted = [...results].sort((a, b) => a.wall - b.wall);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  // Not timed: a stale bundle would make the first run build it.
  const why = await ensureCli();
  if (why !== undefined) console.log(`built the CLI bundle first (${why})`);
  const t0 = performance.now();
  const files = makeData();
  const madeAt = Date.now();
  console.log(
    `data: ${FILES} files, ${MIB} MiB of random data in ${dataDir} (made in ${((performance.now() - t0) / 1000).toFixed(1)} s); ` +
      `${os.availableParallelism()} cores; ${ROUNDS} rounds; load average ${os.loadavg()[0]!.toFixed(2)}`,
  );
  const restic = await hasRestic();
  if (!restic) console.log("restic not found: skipping the restic baseline (Debian: apt-get install restic)");
  await new Promise((r) => setTimeout(r, Math.max(0, madeAt + 2100 - Date.now())));
  const rounds: Round[] = [];
  for (let r = 0; r < ROUNDS; r++) rounds.push(await round(r, files, restic));

  const pick = (f: (r: Round) => Result | undefined) => {
    const xs = rounds.map(f).filter((x): x is Result => x !== undefined);
    return xs.length ? med(xs) : undefined;
  };
  const rows: Array<[string, Result | undefined, Result | undefined]> = [
    ["coffer, directory (data.pxar)", pick((r) => r.dir[0]), pick((r) => r.dir[1])],
    [`coffer, images (${FILES} x .img)`, pick((r) => r.img[0]), pick((r) => r.img[1])],
    ["restic backup", pick((r) => r.restic?.[0]), pick((r) => r.restic?.[1])],
  ];
  const openssl = median(rounds.map((r) => r.openssl.wall));
  console.log("");
  console.log(`medians over ${ROUNDS} rounds (wall clock, CLI end to end; the backup task's own time in parentheses)`);
  console.log(`${"".padEnd(32)}${"first run".padEnd(26)}second run (unchanged)`);
  for (const [name, a, b] of rows) console.log(`${name.padEnd(32)}${show(a).padEnd(26)}${show(b)}`);
  console.log(`${"openssl dgst -sha256".padEnd(32)}${openssl.toFixed(2)} s (one core, hashing only)`);
  console.log("");
  const [dir, img, res] = rows;
  console.log(`ratio coffer/restic, directory: first ${ratio(dir[1], res[1])}, second ${ratio(dir[2], res[2])}`);
  console.log(`ratio coffer/restic, images:    first ${ratio(img[1], res[1])}, second ${ratio(img[2], res[2])}`);
  const taskRatio = (a: Result | undefined, b: Result | undefined) => (a?.task !== undefined && b ? `${(a.task / b.wall).toFixed(2)}x` : "-");
  console.log(`ratio coffer task/restic, directory: first ${taskRatio(dir[1], res[1])}, second ${taskRatio(dir[2], res[2])}`);
  console.log(`ratio coffer task/restic, images:    first ${taskRatio(img[1], res[1])}, second ${taskRatio(img[2], res[2])}`);
  console.log(`load average after: ${os.loadavg()[0]!.toFixed(2)}`);
}

try {
  await main();
} finally {
  rmSync(base, { recursive: true, force: true });
}
