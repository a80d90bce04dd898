/**
 * Benchmark: time and bytes on disk of backing up the same inputs with Coffer (zstd, as PBS),
 * with Coffer writing uncompressed chunks (the format before issue 13, the throughput baseline)
 * and with restic (repository v2, compressing with zstd).
 *
 *   node --import tsx bench/backup.ts [--share-mib 1024] [--random-mib 256] [--rounds 1] [--levels 3,6]
 *      [--chunk-sizes 1024,2048] [--wasm] [--before <commit>]
 *
 * `--before f1e7560` adds a row with Coffer as of that commit (the last one before compression,
 * when issue 13 was filed: "today's" throughput in its goal), from a git worktree with its own
 * CLI bundle and COFFER_HOME, removed afterwards. The uncompressed row runs today's code, which
 * got faster since (its chunker among others), so the two baselines differ.
 *
 * Coffer compresses with the native libzstd when its optional binding was built, else with the
 * WebAssembly build (format/blob-encoder.mjs); the first line says which. `--wasm` adds a row
 * with the WebAssembly build forced (COFFER_ZSTD=wasm), to compare the two in one run.
 *
 * Inputs, on tmpfs (when there is one) so that disks are out of the picture, one directory each:
 *   - compressible: `tar cf` of /usr/share (the first share-mib MiB of it), ordinary system
 *     files: text, docs, locales, icons;
 *   - incompressible: random-mib MiB of random bytes in one file;
 * each backed up three times into a fresh datastore / repository per round: the first run, an
 * unchanged re-backup (timed end to end, as a user waits for it), then a run after 5 % of the
 * file was overwritten (5 evenly spaced ranges of new bytes: random
 * for the random file, another part of the tar with every byte plus one for the tar: new, and as compressible).
 *
 * Coffer runs as a user runs it, `bin/coffer backup <store> host/bench data.pxar=<dir>` end to
 * end (CLI bundle, task process, following its log); the task's own time (its `done in X s`
 * line) is what the throughput is computed from. restic: `restic -r <repo> backup <dir>` with
 * `--compression auto` (its default on a v2 repository). Bytes on disk are the sizes of the
 * regular files under the datastore (chunks, indexes, manifests) or the repository (packs,
 * indexes, snapshots, keys); directories are left out (Coffer's 65,536 chunk directories cost
 * one block each on a real file system whatever the data, PBS's too).
 *
 * Coffer's change detection trusts a source only when it was last modified at least 2 s before it
 * is read, so the bench waits until the data is 2 s old before each run (restic has no such rule).
 */
import { execFile, spawn } from "node:child_process";
import { randomFillSync } from "node:crypto";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readSync, rmSync, statSync, writeSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { ensureCli } from "../scripts/cli-bundle.mjs";
import { LocalChunkStore } from "../server/datastore/storage/chunk-store";
import { CHUNK_SIZE_RULE, isChunkSizeKiB } from "../server/datastore/backup/chunk-size";
import { DEFAULT_COMPRESSION_LEVEL, updateDatastoreConfigs } from "../server/config/datastore-config";
import { zstdBuildName } from "../server/datastore/format/blob-encoder.mjs";
import { arg } from "./support/args";

const execFileAsync = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bin = path.join(repo, "bin", "coffer");

const SHARE_MIB = arg("share-mib", 1024);
const RANDOM_MIB = arg("random-mib", 256);
const ROUNDS = arg("rounds", 1);
/** `--levels 3,6`: further zstd levels to measure beside the default (none unless given). */
const OTHER_LEVELS = (() => {
  const i = process.argv.indexOf("--levels");
  if (i === -1) return [] as number[];
  const levels = String(process.argv[i + 1]).split(",").map(Number);
  if (levels.some((l) => !Number.isInteger(l) || l < 1 || l > 19)) throw new Error(`--levels takes zstd levels 1 to 19 separated by commas, not '${process.argv[i + 1]}'`);
  return levels;
})();
/** `--chunk-sizes 1024,2048`: further `--chunk-size` values (KiB) to measure at the default level. */
const OTHER_CHUNK_KIB = (() => {
  const i = process.argv.indexOf("--chunk-sizes");
  if (i === -1) return [] as number[];
  const sizes = String(process.argv[i + 1]).split(",").map(Number);
  if (!sizes.every(isChunkSizeKiB)) throw new Error(`--chunk-sizes takes ${CHUNK_SIZE_RULE} each, separated by commas, not '${process.argv[i + 1]}'`);
  return sizes;
})();
const WITH_WASM = process.argv.includes("--wasm");
/** `--before <commit>`: Coffer as of that commit as a further baseline (see the module comment). */
const BEFORE = (() => {
  const i = process.argv.indexOf("--before");
  if (i === -1) return undefined;
  const rev = String(process.argv[i + 1] ?? "");
  if (!/^[0-9a-f]{7,40}$/.test(rev)) throw new Error(`--before takes a commit hash (7 to 40 hex digits), not '${rev}'`);
  return rev;
})();
/** Each round backs every input up three times into the same store / repository. */
const RUNS = [
  { label: "first run", time: 1_700_000_000, change: false },
  { label: "unchanged", time: 1_700_000_050, change: false },
  { label: "after 5 %", time: 1_700_000_100, change: true },
];
const UNCHANGED = 1;
const AFTER_CHANGE = 2;
const MIB = 1024 * 1024;
const tmp = existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir();
const base = mkdtempSync(path.join(tmp, "coffer-bench-backup-"));
const home = path.join(base, "home");
process.env.COFFER_HOME = home;

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

interface Input {
  name: string;
  dir: string;
  file: string;
  bytes: number;
  /** Overwrites 5 % of the file in place. */
  change(): void;
}

async function makeInputs(): Promise<Input[]> {
  const shareDir = path.join(base, "compressible");
  mkdirSync(shareDir);
  const tar = path.join(shareDir, "usr-share.tar");
  // A truncated tar is still the same mix of bytes; only its end is cut.
  await run("sh", ["-c", `tar cf - -C / usr/share 2>/dev/null | head -c ${SHARE_MIB * MIB} > '${tar}'`]);
  const randomDir = path.join(base, "incompressible");
  mkdirSync(randomDir);
  const raw = path.join(randomDir, "random.raw");
  const fd = openSync(raw, "w");
  const buf = Buffer.allocUnsafe(8 * MIB);
  for (let done = 0; done < RANDOM_MIB * MIB; done += buf.length) writeSync(fd, randomFillSync(buf), 0, Math.min(buf.length, RANDOM_MIB * MIB - done));
  closeSync(fd);
  // Five ranges of 1 % each: edits in a few places, as a system's files change between backups.
  const RANGES = 5;
  let tarEdits = 0;
  const change = (file: string, fill: (piece: Buffer, at: number, size: number, fd: number) => void) => () => {
    const size = statSync(file).size;
    const piece = Math.floor((size * 0.05) / RANGES);
    const f = openSync(file, "r+");
    try {
      const b = Buffer.allocUnsafe(piece);
      for (let i = 0; i < RANGES; i++) {
        const at = Math.floor(((i + 0.5) * size) / RANGES);
        fill(b, at, size, f);
        writeSync(f, b, 0, piece, at);
      }
    } finally {
      closeSync(f);
    }
  };
  return [
    {
      name: "compressible (tar of /usr/share)",
      dir: shareDir,
      file: tar,
      bytes: statSync(tar).size,
      // Bytes from elsewhere in the tar, each plus one: new content (no chunk of it exists yet)
      // that compresses like the rest.
      change: change(tar, (b, at, size, f) => {
        readSync(f, b, 0, b.length, (at + Math.floor(size / 3)) % (size - b.length));
        // Plus the number of edits so far: each round's change is new again (plus one every
        // time would write round 1's bytes once more, a change of nothing).
        const plus = ++tarEdits;
        for (let j = 0; j < b.length; j++) b[j] = (b[j]! + plus) & 0xff;
      }),
    },
    { name: "incompressible (random)", dir: randomDir, file: raw, bytes: RANDOM_MIB * MIB, change: change(raw, (b) => randomFillSync(b)) },
  ];
}

/** Sizes of the regular files below `dir` (directories left out, see the module comment). */
function fileBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) n += statSync(path.join(e.parentPath, e.name)).size;
  }
  return n;
}

interface Measured {
  /** Seconds the backup itself took (Coffer: the task's own; restic: wall clock). */
  seconds: number;
  wall: number;
  disk: number;
}

interface Tool {
  label: string;
  setup(round: number, input: number): Promise<void>;
  backup(round: number, input: Input, i: number, time: number): Promise<Measured>;
}

/**
 * `<bin> backup <store> host/bench data.pxar=<dir> --backup-time <time> [extra...]`, timed by the
 * task's own `done in X s` line, with the datastore's bytes on disk afterwards.
 */
async function cofferBackup(
  cofferBin: string,
  store: string,
  dir: string,
  input: Input,
  time: number,
  env: Record<string, string>,
  extra: string[] = [],
): Promise<Measured> {
  const out = await run(cofferBin, ["backup", store, "host/bench", `data.pxar=${input.dir}`, "--backup-time", String(time), ...extra], env);
  const done = /^backup \S+ done in ([0-9.]+) s: (.*)$/m.exec(out.stdout);
  if (!done) throw new Error(`no summary line in:\n${out.stdout}`);
  return { seconds: Number(done[1]), wall: out.seconds, disk: fileBytes(dir) };
}

function cofferTool(label: string, compression: "zstd" | "none", level = 1, chunkKiB?: number, env: Record<string, string> = {}): Tool {
  const store = (r: number, i: number) => `${compression}${level}-${chunkKiB ?? "d"}-${env.COFFER_ZSTD ?? "auto"}-${r}-${i}`;
  const dir = (r: number, i: number) => path.join(home, "datastores", store(r, i));
  return {
    label,
    async setup(r, i) {
      await LocalChunkStore.create(dir(r, i));
      await updateDatastoreConfigs((l) => [...l, { name: store(r, i), path: dir(r, i), compression, "compression-level": level }]);
    },
    async backup(r, input, i, time) {
      const chunkArgs = chunkKiB === undefined ? [] : ["--chunk-size", String(chunkKiB)];
      return cofferBackup(bin, store(r, i), dir(r, i), input, time, env, chunkArgs);
    },
  };
}

/** Coffer as of `rev`, uncompressed as it was then: a worktree with its own bundle and home. */
function beforeTool(rev: string): Tool & { cleanup(): Promise<void> } {
  const tree = path.join(base, `coffer-${rev}`);
  const oldHome = path.join(base, "before-home");
  const oldBin = path.join(tree, "bin", "coffer");
  const env = { COFFER_HOME: oldHome, COFFER_BIN: oldBin };
  const store = (r: number, i: number) => `before-${r}-${i}`;
  const dir = (r: number, i: number) => path.join(oldHome, "datastores", store(r, i));
  let made = false;
  return {
    label: `coffer at ${rev}`,
    async setup(r, i) {
      if (!made) {
        await run("git", ["-C", repo, "worktree", "add", "--detach", tree, rev]);
        made = true;
        // Same dependencies as far as that code uses them; the bundle is built from its sources.
        await run("ln", ["-s", path.join(repo, "node_modules"), path.join(tree, "node_modules")]);
        await run(process.execPath, [path.join(tree, "scripts", "build-cli.mjs")]);
      }
      await run(oldBin, ["datastore", "create", store(r, i), "--path", dir(r, i)], env);
    },
    async backup(r, input, i, time) {
      return cofferBackup(oldBin, store(r, i), dir(r, i), input, time, env);
    },
    async cleanup() {
      if (made) await run("git", ["-C", repo, "worktree", "remove", "--force", tree]).catch(() => undefined);
    },
  };
}

function resticTool(): Tool {
  const repoDir = (r: number, i: number) => path.join(base, `restic-${r}-${i}`);
  const env = (r: number) => ({ RESTIC_PASSWORD: "bench", RESTIC_CACHE_DIR: path.join(base, `restic-cache-${r}`) });
  return {
    label: "restic (zstd auto)",
    async setup(r, i) {
      await run("restic", ["-r", repoDir(r, i), "init", "--repository-version", "2"], env(r));
    },
    async backup(r, input, i) {
      const out = await run("restic", ["-r", repoDir(r, i), "backup", "--compression", "auto", input.dir], env(r));
      return { seconds: out.seconds, wall: out.seconds, disk: fileBytes(repoDir(r, i)) };
    },
  };
}

async function hasRestic(): Promise<boolean> {
  try {
    await execFileAsync("restic", ["version"]);
    return true;
  } catch {
    return false;
  }
}

const mib = (n: number) => `${(n / MIB).toFixed(1)} MiB`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  // Not timed: a stale bundle would make the first run build it.
  const why = await ensureCli();
  if (why !== undefined) console.log(`built the CLI bundle first (${why})`);
  console.log(`zstd: ${zstdBuildName()}`);
  // Index 0 and 1 are what the summary compares: the default level and the old format.
  const tools = [cofferTool(`coffer zstd -${DEFAULT_COMPRESSION_LEVEL}`, "zstd", DEFAULT_COMPRESSION_LEVEL), cofferTool("coffer uncompressed", "none")];
  for (const level of OTHER_LEVELS) tools.push(cofferTool(`coffer zstd -${level}`, "zstd", level));
  for (const kib of OTHER_CHUNK_KIB) {
    tools.push(cofferTool(`coffer zstd -${DEFAULT_COMPRESSION_LEVEL}, ${kib} KiB`, "zstd", DEFAULT_COMPRESSION_LEVEL, kib));
  }
  if (WITH_WASM) tools.push(cofferTool(`coffer zstd -${DEFAULT_COMPRESSION_LEVEL}, wasm`, "zstd", DEFAULT_COMPRESSION_LEVEL, undefined, { COFFER_ZSTD: "wasm" }));
  const before = BEFORE === undefined ? undefined : beforeTool(BEFORE);
  if (before) {
    tools.push(before);
    cleanups.push(() => before.cleanup());
  }
  if (await hasRestic()) tools.push(resticTool());
  else console.log("restic not found: skipping the restic baseline (Debian: apt-get install restic)");
  const inputs = await makeInputs();
  console.log(
    `inputs: ${inputs.map((i) => `${i.name} ${mib(i.bytes)}`).join(", ")}; ${os.availableParallelism()} cores; ` +
      `${ROUNDS} round(s); load average ${os.loadavg()[0]!.toFixed(2)}`,
  );
  // results[input][tool][run] over rounds
  const results = inputs.map(() => tools.map(() => RUNS.map(() => [] as Measured[])));
  for (let r = 0; r < ROUNDS; r++) {
    for (const [i, input] of inputs.entries()) for (const tool of tools) await tool.setup(r, i);
    for (const [runNo, run] of RUNS.entries()) {
      if (run.change) for (const input of inputs) input.change();
      const time = run.time;
      // Change detection's racy-source rule: let the data be 2 s old.
      await new Promise((res) => setTimeout(res, 2100));
      for (const [i, input] of inputs.entries()) {
        // Each round starts with another tool: whoever runs first after the pause meets a
        // machine in another state (CPU frequency, caches), which should not favour one tool.
        for (let k = 0; k < tools.length; k++) {
          const t = (k + r) % tools.length;
          const tool = tools[t]!;
          const m = await tool.backup(r, input, i, time);
          results[i]![t]![runNo]!.push(m);
          console.log(
            `round ${r + 1} ${run.label.padEnd(10)} ${input.name.padEnd(34)} ${tool.label.padEnd(20)} ` +
              `${m.seconds.toFixed(2)} s (wall ${m.wall.toFixed(2)} s), on disk ${mib(m.disk)}, load ${os.loadavg()[0]!.toFixed(2)}`,
          );
        }
      }
    }
  }
  console.log("");
  console.log(`medians over ${ROUNDS} round(s); time = the backup itself (Coffer: task, restic: wall); ratio = on disk / input`);
  console.log(`${"input".padEnd(34)}${"tool".padEnd(22)}${"first run".padEnd(42)}after a 5 % change`);
  for (const [i, input] of inputs.entries()) {
    for (const [t, tool] of tools.entries()) {
      const cell = (runNo: number) => {
        const ms = results[i]![t]![runNo]!;
        const s = median(ms.map((m) => m.seconds));
        const d = median(ms.map((m) => m.disk));
        const rate = runNo === 0 ? `, ${(input.bytes / MIB / s).toFixed(0)} MiB/s` : "";
        return `${s.toFixed(2)} s${rate}, ${mib(d)} (${(d / input.bytes).toFixed(2)}x)`;
      };
      console.log(`${input.name.padEnd(34)}${tool.label.padEnd(22)}${cell(0).padEnd(42)}${cell(AFTER_CHANGE)}`);
    }
  }
  const disk = (i: number, t: number, runNo: number) => median(results[i]![t]![runNo]!.map((m) => m.disk));
  const secs = (i: number, t: number) => median(results[i]![t]![0]!.map((m) => m.seconds));
  console.log("");
  for (const [i, input] of inputs.entries()) {
    const r = tools.findIndex((t) => t.label.startsWith("restic"));
    const vsRestic = r >= 0 ? `; on disk vs restic: first ${(disk(i, 0, 0) / disk(i, r, 0)).toFixed(2)}x, after change ${(disk(i, 0, AFTER_CHANGE) / disk(i, r, AFTER_CHANGE)).toFixed(2)}x` : "";
    console.log(
      `${input.name}: zstd throughput ${(secs(i, 1) / secs(i, 0)).toFixed(2)}x of uncompressed` +
        `; on disk vs uncompressed ${(disk(i, 0, 0) / disk(i, 1, 0)).toFixed(2)}x${vsRestic}`,
    );
    const b = tools.indexOf(before as Tool);
    if (b >= 0) console.log(`  zstd throughput ${(secs(i, b) / secs(i, 0)).toFixed(2)}x of ${tools[b]!.label} (before compression)`);
    // The other settings measured, against restic as well.
    for (const [t, tool] of tools.entries()) {
      if (t < 2 || t === r || t === b || r < 0) continue;
      console.log(
        `  ${tool.label}: throughput ${(secs(i, 1) / secs(i, t)).toFixed(2)}x of uncompressed; ` +
          `on disk vs restic: first ${(disk(i, t, 0) / disk(i, r, 0)).toFixed(2)}x, after change ${(disk(i, t, AFTER_CHANGE) / disk(i, r, AFTER_CHANGE)).toFixed(2)}x`,
      );
    }
  }
  // Issue 12's start-up goal: an unchanged re-backup, end to end as a user waits for it.
  const wall = (i: number, t: number) => median(results[i]![t]![UNCHANGED]!.map((m) => m.wall));
  const restic = tools.findIndex((t) => t.label.startsWith("restic"));
  console.log("");
  console.log("unchanged re-backup, end to end (Coffer: CLI start to exit; medians):");
  for (const [i, input] of inputs.entries()) {
    const cells = tools.map((tool, t) => `${tool.label} ${wall(i, t).toFixed(2)} s`).join(", ");
    const vs = restic >= 0 ? `; ${tools[0]!.label} vs restic ${(wall(i, 0) / wall(i, restic)).toFixed(2)}x` : "";
    console.log(`  ${input.name}: ${cells}${vs}`);
  }
  console.log(`load average after: ${os.loadavg()[0]!.toFixed(2)}`);
}

const cleanups: Array<() => Promise<void>> = [];
try {
  await main();
} finally {
  for (const c of cleanups) await c();
  rmSync(base, { recursive: true, force: true });
}
