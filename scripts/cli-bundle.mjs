// @ts-check
/**
 * The `coffer` CLI bundle: server/cli/main.ts and the two worker-thread scripts compiled by
 * esbuild into dist/cli/, so that neither the CLI nor a task process compiles TypeScript when it
 * starts (issue 12: about 1 s per start under tsx, about 0.1 s from the bundle).
 *
 * Staleness rule (docs/benchmarks.md "Start-up"): the build writes dist/cli/inputs.json, every
 * file esbuild read (our sources and the node_modules files bundled in) with its mtime and
 * size. `bin/coffer` stats those files before it runs the bundle; when one differs or is gone,
 * or the stamp is missing, it rebuilds first and says so on stderr. A stale bundle therefore
 * never runs: editing a source, `git checkout`, or `npm update` of a bundled package all
 * trigger a rebuild. A new file is only reached through an import in a changed file, which the
 * check sees. The build writes each output to a temporary name and renames it, the stamp last,
 * so processes that start while another rebuilds see either the old files with the old stamp
 * (and rebuild themselves) or whole new ones.
 *
 * Kept free of dependencies at import time: bin/coffer imports this on every start, and only
 * loads esbuild when it has to build.
 */
import { readFileSync, renameSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const outDir = path.join(root, "dist", "cli");
export const bundlePath = path.join(outDir, "coffer.cjs");
const stampPath = path.join(outDir, "inputs.json");

/** The CLI: CommonJS, so that bin/coffer can compile it with a V8 code cache (runBundle). */
const CLI_ENTRY = "server/cli/main.ts";
/** Worker threads, ES modules found beside the bundle by chunk-hasher.ts and verify-pool.ts. */
const WORKER_ENTRIES = {
  "hash-worker": "server/datastore/backup/hash-worker.mjs",
  "verify-worker": "server/datastore/verify/verify-worker.mjs",
};

/**
 * Why the bundle cannot run as it is (missing, or a named input changed), or undefined when it
 * is current. Costs one stat per input (a few hundred), about a millisecond.
 * @returns {string | undefined}
 */
export function staleReason() {
  /** @type {{ inputs: [string, number, number][] }} */
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(stampPath, "utf8"));
  } catch {
    return "the CLI bundle has not been built";
  }
  for (const [rel, mtimeMs, size] of stamp.inputs) {
    let st;
    try {
      st = statSync(path.join(root, rel));
    } catch {
      return `${rel} is gone`;
    }
    if (st.mtimeMs !== mtimeMs || st.size !== size) return `${rel} changed`;
  }
  return undefined;
}

/**
 * Builds dist/cli/ from the sources. Resolves with the number of input files.
 * @returns {Promise<number>}
 */
export async function buildCli() {
  const esbuild = await import("esbuild");
  const started = Date.now();
  const tmp = `.tmp-${process.pid}`;
  /** @type {import("esbuild").BuildOptions} */
  const common = {
    absWorkingDir: root,
    outdir: outDir,
    bundle: true,
    platform: "node",
    target: "node20",
    // In the CLI bundle, blob.ts is compiled into verify-worker.mjs (see its checkZstd).
    define: { COFFER_BUNDLE: "true" },
    metafile: true,
    logLevel: "warning",
    legalComments: "none",
  };
  const [cli, workers] = await Promise.all([
    esbuild.build({
      ...common,
      entryPoints: { coffer: CLI_ENTRY },
      entryNames: `[name]${tmp}`,
      outExtension: { ".js": ".cjs" },
      format: "cjs",
      // Modules find their neighbours (worker scripts, bin/coffer) from import.meta.url.
      define: { ...common.define, "import.meta.url": "__cofferModuleUrl" },
      banner: { js: 'const __cofferModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
    }),
    esbuild.build({
      ...common,
      entryPoints: WORKER_ENTRIES,
      entryNames: `[name]${tmp}`,
      outExtension: { ".js": ".mjs" },
      format: "esm",
      // The source tree's verify worker registers tsx; the bundled one never reaches that branch.
      external: ["tsx", "tsx/*"],
    }),
  ]);
  const files = new Set([...Object.keys(cli.metafile?.inputs ?? {}), ...Object.keys(workers.metafile?.inputs ?? {})]);
  const inputs = [...files].map((rel) => {
    const st = statSync(path.join(root, rel));
    // Modified while esbuild ran: the bundle may hold the old text, so stamp it as changed.
    return [rel, st.mtimeMs >= started - 1 ? -1 : st.mtimeMs, st.size];
  });
  mkdirSync(outDir, { recursive: true });
  renameSync(path.join(outDir, `coffer${tmp}.cjs`), bundlePath);
  for (const name of Object.keys(WORKER_ENTRIES)) {
    renameSync(path.join(outDir, `${name}${tmp}.mjs`), path.join(outDir, `${name}.mjs`));
  }
  const tmpStamp = `${stampPath}${tmp}`;
  writeFileSync(tmpStamp, JSON.stringify({ inputs }));
  renameSync(tmpStamp, stampPath);
  return inputs.length;
}

/**
 * Builds the bundle when it is missing or stale; returns why it was built, or undefined.
 * @returns {Promise<string | undefined>}
 */
export async function ensureCli() {
  const why = staleReason();
  if (why !== undefined) await buildCli();
  return why;
}

/**
 * Runs the CLI bundle in this process, compiled with V8's code cache: compiling the 1.2 MB bundle
 * from scratch is most of a start (Node 20 has no module compile cache of its own). The cache
 * sits beside the bundle, named for the bundle file's inode and mtime, because V8 checks a cache
 * only against the source's length: a rebuilt bundle (always a new file, renamed into place)
 * never meets an old cache. The first run of a build writes the cache when it exits, atomically;
 * a cache V8 rejects (another Node version) is rewritten the same way.
 */
export async function runBundle() {
  const [{ readFileSync: read, openSync, fstatSync, closeSync, readdirSync, unlinkSync }, vm, { default: Module }] =
    await Promise.all([import("node:fs"), import("node:vm"), import("node:module")]);
  const fd = openSync(bundlePath, "r");
  const st = fstatSync(fd);
  const source = read(fd, "utf8");
  closeSync(fd);
  const cacheName = `coffer.${st.ino}-${Math.trunc(st.mtimeMs)}.v8cache`;
  const cachePath = path.join(outDir, cacheName);
  /** @type {Buffer | undefined} */
  let cachedData;
  try {
    cachedData = read(cachePath);
  } catch {
    // first run of this build
  }
  const script = new vm.Script(Module.wrap(source), { filename: bundlePath, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once("exit", () => {
      try {
        const tmpCache = `${cachePath}.tmp-${process.pid}`;
        writeFileSync(tmpCache, script.createCachedData());
        renameSync(tmpCache, cachePath);
        for (const name of readdirSync(outDir)) {
          if (name.endsWith(".v8cache") && name !== cacheName) unlinkSync(path.join(outDir, name));
        }
      } catch {
        // a cache is an optimisation; the next run tries again
      }
    });
  }
  const module = { exports: {} };
  const require = Module.createRequire(bundlePath);
  script.runInThisContext()(module.exports, require, module, bundlePath, outDir);
}
