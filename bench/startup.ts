/**
 * Benchmark: how long `coffer` takes to start, against `node -e 0` (Node's own start, the floor)
 * and against the old way, the CLI's TypeScript compiled at run time by tsx.
 *
 *   node --import tsx bench/startup.ts [--rounds 15]
 *
 * Times, alternating between them in every round so that load swings hit all alike (the machine
 * is shared): `node -e 0`; `bin/coffer --version` and `bin/coffer datastore list` (the bundle
 * in dist/cli/, as users run it, with the staleness check); `node --import tsx
 * server/cli/main.ts` with the same arguments (the old path); and, in this process, the time
 * from `startTask()` to the task process announcing its UPID, for a task run from the bundle
 * and one run from the sources (COFFER_FROM_SOURCE=1). Medians over the rounds and the ratios.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { ensureCli } from "../scripts/cli-bundle.mjs";
import { startTask } from "../server/tasks/core/runner";
import { readTaskEnd } from "../server/tasks/core/task-log";
import { arg } from "./support/args";

const ROUNDS = arg("rounds", 15);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bin = path.join(repo, "bin", "coffer");
const main = path.join(repo, "server", "cli", "main.ts");
const base = mkdtempSync(path.join(existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir(), "coffer-bench-startup-"));
process.env.COFFER_HOME = base;

/** Wall time of one process, start to exit, in ms; fails on a non-zero exit. */
function time(cmd: string, args: string[], env: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const p = spawn(cmd, args, { cwd: repo, env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    p.stderr.on("data", (d) => (stderr += d));
    p.on("error", reject);
    p.on("close", (code) => (code === 0 ? resolve(performance.now() - start) : reject(new Error(`${cmd} ${args.join(" ")}: exit ${code}: ${stderr}`))));
  });
}

/** startTask() until the UPID is announced, in ms; waits for the task to end (untimed). */
async function taskStart(fromSource: boolean): Promise<number> {
  const saved = process.env.COFFER_FROM_SOURCE;
  if (fromSource) process.env.COFFER_FROM_SOURCE = "1";
  else delete process.env.COFFER_FROM_SOURCE;
  try {
    const start = performance.now();
    const { upid } = await startTask("debug-sleep", { seconds: 0 });
    const ms = performance.now() - start;
    // Let it end before the next round so that tasks never overlap the timed runs.
    while (!(await readTaskEnd(upid)).final) await new Promise((r) => setTimeout(r, 20));
    return ms;
  } finally {
    if (saved === undefined) delete process.env.COFFER_FROM_SOURCE;
    else process.env.COFFER_FROM_SOURCE = saved;
  }
}

const tsx = ["--import", "tsx", main];
const cases: Array<[string, () => Promise<number>]> = [
  ["node -e 0", () => time(process.execPath, ["-e", "0"])],
  ["coffer --version (bundle)", () => time(bin, ["--version"])],
  ["coffer datastore list (bundle)", () => time(bin, ["datastore", "list"])],
  ["coffer --version (tsx, old)", () => time(process.execPath, [...tsx, "--version"])],
  ["coffer datastore list (tsx, old)", () => time(process.execPath, [...tsx, "datastore", "list"])],
  ["startTask -> UPID (bundle)", () => taskStart(false)],
  ["startTask -> UPID (tsx, old)", () => taskStart(true)],
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function run(): Promise<void> {
  const why = await ensureCli();
  if (why !== undefined) console.log(`built the CLI bundle first (${why})`);
  console.log(`${os.availableParallelism()} cores, node ${process.version}, ${ROUNDS} rounds, load average ${os.loadavg()[0]!.toFixed(2)}`);
  // One untimed run of each: the bundle's V8 code cache is written by its first run.
  for (const [, f] of cases) await f();
  const times = cases.map(() => [] as number[]);
  for (let r = 0; r < ROUNDS; r++) {
    for (const [i, [, f]] of cases.entries()) times[i]!.push(await f());
  }
  const med = times.map(median);
  const floor = med[0]!;
  console.log("");
  console.log(`${"".padEnd(36)}${"median".padStart(9)}${"min".padStart(9)}   vs node -e 0`);
  cases.forEach(([name], i) => {
    const min = Math.min(...times[i]!);
    console.log(`${name.padEnd(36)}${`${med[i]!.toFixed(0)} ms`.padStart(9)}${`${min.toFixed(0)} ms`.padStart(9)}   ${(med[i]! / floor).toFixed(2)}x`);
  });
  console.log("");
  console.log(`bundle vs tsx: --version ${(med[1]! / med[3]!).toFixed(2)}x, datastore list ${(med[2]! / med[4]!).toFixed(2)}x, task start ${(med[5]! / med[6]!).toFixed(2)}x`);
  console.log(`goal: coffer datastore list within about 3x of node -e 0: ${(med[2]! / floor).toFixed(2)}x`);
  console.log(`load average after: ${os.loadavg()[0]!.toFixed(2)}`);
}

try {
  await run();
} finally {
  rmSync(base, { recursive: true, force: true });
}
