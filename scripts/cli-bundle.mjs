// @ts-check
/**
 * The `coffer` CLI bundle: server/cli/main.ts and the two worker-thread scripts compiled by
 * esbuild into dist/cli/, so that neither the CLI nor a task process compiles TypeScript when it
 * starts (issue 12: about 1 s per start under tsx, about 0.1 s from the bundle). Beside them,
 * the console server's API (api-server.cjs, from server/api/server-entry.ts), which
 * scripts/serve.mjs serves without Next.
 *
 * Staleness rule (docs/benchmarks.md "Start-up"): the build writes dist/cli/inputs.json, every
 * source file esbuild read (about 110) and node_modules/.package-lock.json (npm's record of the
 * installed packages, rewritten by every install, update or uninstall) with its mtime and size.
 * `bin/coffer` stats those files before it runs the bundle; when one differs or is gone, or the
 * stamp is missing, it rebuilds first and says so on stderr. A stale bundle therefore never
 * runs: editing a source, `git checkout`, or `npm update` of a bundled package all trigger a
 * rebuild. A new file is only reached through an import in a changed file, which the check
 * sees. (Editing a file inside node_modules by hand is not noticed: run `npm run build:cli`.) The build writes each output to a temporary name and renames it, the stamp last,
 * so processes that start while another rebuilds see either the old files with the old stamp
 * (and rebuild themselves) or whole new ones.
 *
 * This module builds; scripts/cli-run.cjs is what bin/coffer loads on every start (CommonJS:
 * Node's ES module loader alone costs a start tens of milliseconds), and it imports this one
 * only when it has to build.
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { pidAlive } from "./pid-alive.mjs";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const outDir = path.join(root, "dist", "cli");
export const bundlePath = path.join(outDir, "coffer.cjs");
const stampPath = path.join(outDir, "inputs.json");
/** bin/coffer's side (staleness check, running the bundle), CommonJS for a fast start. */
export const { staleReason } = /** @type {{ staleReason(): string | undefined }} */ (createRequire(import.meta.url)("./cli-run.cjs"));

/** What stands for every bundled package file in the stamp (see buildCli). */
const NPM_RECORD = "node_modules/.package-lock.json";

/** The CLI: CommonJS, so that bin/coffer can compile it with a V8 code cache (runBundle). */
const CLI_ENTRY = "server/cli/main.ts";
/**
 * The console server's API and once-per-process services (scripts/serve.mjs loads it): built
 * the same way and beside the CLI, so that it finds the same neighbours (worker scripts,
 * bin/coffer for tasks) and goes stale with it.
 */
const SERVER_ENTRY = "server/api/server-entry.ts";
export const serverBundlePath = path.join(outDir, "api-server.cjs");
/** Worker threads, ES modules found beside the bundle by chunk-hasher.ts and verify-pool.ts. */
const WORKER_ENTRIES = {
  "hash-worker": "server/datastore/backup/hash-worker.mjs",
  "verify-worker": "server/datastore/verify/verify-worker.mjs",
};

/**
 * zod's classic API and core export every locale (`z.locales`, 40 % of zod in the bundle); Coffer's
 * messages are English, which zod's schemas import on their own. The CLI bundle gets a
 * `locales` with English alone, so that every command and task reads and compiles less.
 * @type {import("esbuild").Plugin}
 */
const zodEnglishOnly = {
  name: "zod-english-only",
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/](classic[\\/]external|core[\\/]index)\.js$/.test(args.importer)
        ? { path: path.join(path.dirname(args.importer), "..", "locales", "en.js"), namespace: "zod-locales" }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "zod-locales" }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      resolveDir: path.dirname(args.path),
      loader: "js",
    }));
  },
};

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
      entryPoints: { coffer: CLI_ENTRY, "api-server": SERVER_ENTRY },
      entryNames: `[name]${tmp}`,
      outExtension: { ".js": ".cjs" },
      format: "cjs",
      plugins: [zodEnglishOnly],
      // The AWS SDK would be half the bundle's size, and only S3 datastores use it: s3-client.ts
      // requires it from node_modules on its first request (a computed require, which esbuild
      // leaves alone; this keeps a static import from pulling it back in).
      external: ["@aws-sdk/client-s3"],
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
  // Virtual modules (`zod-locales:<path>`) stand for a file that is stamped as itself anyway.
  const read = [...Object.keys(cli.metafile?.inputs ?? {}), ...Object.keys(workers.metafile?.inputs ?? {})].filter((rel) => !rel.startsWith("zod-locales:"));
  // Packages count as one file, npm's own record of node_modules, which every npm install,
  // update or uninstall rewrites: half the stats of checking each bundled package file.
  // (Each file when there is no such record, e.g. packages installed by another tool.)
  const record = existsSync(path.join(root, NPM_RECORD));
  const files = new Set(read.map((rel) => (record && rel.startsWith("node_modules/") ? NPM_RECORD : rel)));
  const inputs = [...files].map((rel) => {
    const st = statSync(path.join(root, rel));
    // Modified while esbuild ran: the bundle may hold the old text, so stamp it as changed.
    return [rel, st.mtimeMs >= started - 1 ? -1 : st.mtimeMs, st.size];
  });
  mkdirSync(outDir, { recursive: true });
  finishCliBundle(path.join(outDir, `coffer${tmp}.cjs`));
  renameSync(path.join(outDir, `coffer${tmp}.cjs`), bundlePath);
  renameSync(path.join(outDir, `api-server${tmp}.cjs`), serverBundlePath);
  for (const name of Object.keys(WORKER_ENTRIES)) {
    renameSync(path.join(outDir, `${name}${tmp}.mjs`), path.join(outDir, `${name}.mjs`));
  }
  const tmpStamp = `${stampPath}${tmp}`;
  writeFileSync(tmpStamp, JSON.stringify({ inputs }));
  renameSync(tmpStamp, stampPath);
  removeLeftovers();
  return inputs.length;
}

/** The temporary outputs of builds that were killed before their renames (`<name>.tmp-<pid>...`). */
function removeLeftovers() {
  for (const name of readdirSync(outDir)) {
    const pid = Number(/\.tmp-(\d+)/.exec(name)?.[1]);
    if (pid && pid !== process.pid && !pidAlive(pid)) rmSync(path.join(outDir, name), { force: true });
  }
}

/**
 * Node built-ins that cost a start milliseconds to load (crypto with the streams under it about
 * 7, all of these about 14, of the ~90 a start spends beyond Node's own), while many commands
 * and tasks never call them: `datastore list` hashes nothing, a move spawns nothing.
 */
const LAZY_BUILTINS = /^(\s*(?:var )?(import_[\w$]+) = )require\("(node:(?:crypto|zlib|worker_threads|child_process|perf_hooks|fs\/promises|timers\/promises|string_decoder))"\);$/gm;

/**
 * Requires the built-in `id` on the first property read of the object it returns, then puts the
 * module itself into the importer's variable (`assign`), so later reads cost nothing extra.
 * Prepended to the CLI bundle as source text.
 */
const LAZY_HELPER = `function __cofferLazy(id, assign) {
  let loaded;
  const load = () => (loaded ??= assign(require(id)));
  return new Proxy({}, {
    get: (_, key) => load()[key],
    has: (_, key) => key in load(),
    ownKeys: () => Reflect.ownKeys(load()),
    getOwnPropertyDescriptor: (_, key) => {
      const d = Reflect.getOwnPropertyDescriptor(load(), key);
      return d && { ...d, configurable: true };
    },
  });
}
`;

/**
 * Two rewrites of the CLI bundle's text (the CLI and every task process load it; the API server's
 * bundle starts once and stays as esbuild wrote it):
 * - Named imports of LAZY_BUILTINS load on first use. esbuild reads a named import's property at
 *   each use (`(0, import_node_crypto.randomBytes)(...)`) from a variable that holds the module
 *   (`import_node_crypto = require("node:crypto");`), so that statement becomes a __cofferLazy
 *   call. A default or namespace import (`__toESM(require(...))`) is left alone.
 * - esbuild escapes non-ASCII characters in strings and regular expressions but keeps comments
 *   as they are, and a comment in zod has an em dash. A source with one non-ASCII character is a
 *   two-byte string to V8: reading and compiling the bundle took about 9 ms more per start than
 *   the same text in ASCII. Such characters in whole-line `//` comments become `?`; anywhere
 *   else they stay (correct, only slower).
 * @param {string} file
 */
function finishCliBundle(file) {
  const text = readFileSync(file, "utf8");
  const lazy = text.replace(LAZY_BUILTINS, (_, lhs, name, id) => `${lhs}__cofferLazy(${JSON.stringify(id)}, (m) => (${name} = m));`);
  const ascii = /[^\x00-\x7f]/.test(lazy) ? lazy.replace(/^([ \t]*\/\/[^\n]*)$/gm, (line) => line.replace(/[^\x00-\x7f]/g, "?")) : lazy;
  writeFileSync(file, `${LAZY_HELPER}${ascii}`);
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

