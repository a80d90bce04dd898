// @ts-check
/**
 * bin/coffer's side of the CLI bundle (scripts/cli-bundle.mjs builds it and states the
 * staleness rule): check that dist/cli/ is current, build it when it is not, run it. CommonJS
 * and free of dependencies, because it runs before every command and every task.
 */
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");
const Module = require("node:module");

const root = path.resolve(__dirname, "..");
const outDir = path.join(root, "dist", "cli");
const bundlePath = path.join(outDir, "coffer.cjs");
const stampPath = path.join(outDir, "inputs.json");

/**
 * Why the bundle cannot run as it is (missing, or a named input changed), or undefined when it
 * is current. One stat per input (about 115).
 * @returns {string | undefined}
 */
function staleReason() {
  /** @type {{ inputs: [string, number, number][] }} */
  let stamp;
  try {
    stamp = JSON.parse(fs.readFileSync(stampPath, "utf8"));
  } catch {
    return "the CLI bundle has not been built";
  }
  for (const [rel, mtimeMs, size] of stamp.inputs) {
    const st = fs.statSync(path.join(root, rel), { throwIfNoEntry: false });
    if (st === undefined) return `${rel} is gone`;
    if (st.mtimeMs !== mtimeMs || st.size !== size) return `${rel} changed`;
  }
  return undefined;
}

/**
 * Runs the CLI bundle in this process, compiled with V8's code cache: compiling the 1 MB bundle
 * from scratch is most of a start (Node 20 has no module compile cache of its own). The cache
 * sits beside the bundle, named for the bundle file's inode and mtime, because V8 checks a cache
 * only against the source's length: a rebuilt bundle (always a new file, renamed into place)
 * never meets an old cache. The first run of a build writes the cache when it exits, atomically;
 * a cache V8 rejects (another Node version) is rewritten the same way.
 */
function runBundle() {
  const fd = fs.openSync(bundlePath, "r");
  const st = fs.fstatSync(fd);
  const source = fs.readFileSync(fd, "utf8");
  fs.closeSync(fd);
  const cacheName = `coffer.${st.ino}-${Math.trunc(st.mtimeMs)}.v8cache`;
  const cachePath = path.join(outDir, cacheName);
  /** @type {Buffer | undefined} */
  let cachedData;
  try {
    cachedData = fs.readFileSync(cachePath);
  } catch {
    // first run of this build
  }
  const script = new vm.Script(Module.wrap(source), { filename: bundlePath, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once("exit", () => {
      try {
        const tmpCache = `${cachePath}.tmp-${process.pid}`;
        fs.writeFileSync(tmpCache, script.createCachedData());
        fs.renameSync(tmpCache, cachePath);
        for (const name of fs.readdirSync(outDir)) {
          if (name.endsWith(".v8cache") && name !== cacheName) fs.unlinkSync(path.join(outDir, name));
        }
      } catch {
        // a cache is an optimisation; the next run tries again
      }
    });
  }
  const module = { exports: {} };
  script.runInThisContext()(module.exports, Module.createRequire(bundlePath), module, bundlePath, outDir);
}

/**
 * Set by a start that checked the bundle, for the processes it spawns (its task): the bundle
 * file it names (inode and mtime) is current, so a child that finds that same file runs it
 * without stat'ing its ~200 inputs again (about 6 ms). A child that finds another file checks.
 */
const CHECKED_ENV = "COFFER_CLI_CHECKED";

/** @returns {string | undefined} */
function bundleId() {
  const st = fs.statSync(bundlePath, { throwIfNoEntry: false });
  return st && `${st.ino}-${st.mtimeMs}`;
}

/** bin/coffer: build when stale (saying so on stderr), then run. */
async function main() {
  const id = bundleId();
  if (id === undefined || process.env[CHECKED_ENV] !== id) {
    const why = staleReason();
    if (why !== undefined) {
      process.stderr.write(`coffer: ${why}; building the CLI bundle first (scripts/build-cli.mjs)\n`);
      const { buildCli } = await import("./cli-bundle.mjs");
      await buildCli();
    }
    process.env[CHECKED_ENV] = why === undefined ? id : bundleId();
  }
  runBundle();
}

module.exports = { staleReason, runBundle, main };
