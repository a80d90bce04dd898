#!/usr/bin/env node
/**
 * `npm run build:cli` (and part of `npm run build` and `npm install`'s prepare step): compiles
 * the `coffer` CLI and its worker threads into dist/cli/ (scripts/cli-bundle.mjs).
 */
import { performance } from "node:perf_hooks";
import { buildCli, outDir, root } from "./cli-bundle.mjs";
import path from "node:path";

const start = performance.now();
try {
  const inputs = await buildCli();
  console.log(`coffer: built the CLI bundle in ${path.relative(root, outDir)}/ from ${inputs} files (${Math.round(performance.now() - start)} ms)`);
} catch (err) {
  console.error(`coffer: building the CLI bundle failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
