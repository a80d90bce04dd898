#!/usr/bin/env node
/**
 * `npm test`: every check, in order, stopping at the first failure (DESIGN.md section 11):
 * type check, layering (scripts/check-layers.mjs), the CLI bundle, unit and integration tests, Debian chromium present, production build,
 * end-to-end tests. Output streams as it comes; a summary closes the run.
 *
 * The S3 tests run against a real OpenStack Swift (scripts/swift.mjs). It takes seconds to start,
 * so it starts first, in the background, while the type check and the bundle run; the unit tests
 * get its endpoint in COFFER_TEST_S3_ENDPOINT. If it cannot start, the run fails there, with why.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startSwift } from "./swift.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => path.join(root, "node_modules", ".bin", name);
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };
const CHROMIUM = "/usr/bin/chromium";

function run(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env, stdio: "inherit" });
    child.on("error", (err) => {
      console.error(`cannot run ${command}: ${err.message}`);
      resolve(1);
    });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/** Playwright drives Debian's chromium (no browser download): install it when we may. */
async function ensureChromium() {
  if (existsSync(CHROMIUM)) return 0;
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (!isRoot) {
    console.error(`${CHROMIUM} is missing. Install it with: sudo apt-get update && sudo apt-get install -y chromium`);
    return 1;
  }
  console.log(`${CHROMIUM} is missing; installing Debian's chromium`);
  const update = spawnSync("apt-get", ["update"], { stdio: "inherit" });
  if (update.status !== 0) return update.status ?? 1;
  const install = spawnSync("apt-get", ["install", "-y", "chromium"], {
    stdio: "inherit",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  if (install.status !== 0) return install.status ?? 1;
  return existsSync(CHROMIUM) ? 0 : 1;
}

const swiftStarting = startSwift({ log: (line) => console.log(`[swift] ${line}`) }).then(
  (swift) => ({ swift }),
  (error) => ({ error }),
);

// Ctrl-C or a CI timeout must not leave Swift's servers behind (they are not in our process group).
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, async () => {
    const started = await swiftStarting;
    if (started.swift) await started.swift.stop();
    process.exit(130);
  });
}

async function unitTests() {
  const started = await swiftStarting;
  if (started.error) {
    console.error(`npm test: OpenStack Swift (needed by the S3 tests) could not start:\n${started.error.message}`);
    return 1;
  }
  env.COFFER_TEST_S3_ENDPOINT = started.swift.endpoint;
  return run(bin("vitest"), ["run"]);
}

const steps = [
  { name: "type check", run: () => run(bin("tsc"), ["--noEmit"]) },
  { name: "layering", run: () => run(process.execPath, [path.join(root, "scripts", "check-layers.mjs")]) },
  // bin/coffer runs dist/cli (scripts/cli-bundle.mjs); the unit tests spawn it, e2e too.
  { name: "CLI bundle", run: () => run(process.execPath, [path.join(root, "scripts", "build-cli.mjs")]) },
  { name: "unit tests", run: unitTests },
  { name: "chromium", run: ensureChromium },
  { name: "build", run: () => run(bin("next"), ["build"]) },
  { name: "e2e tests", run: () => run(bin("playwright"), ["test"]) },
];

const results = [];
let failed;
for (const step of steps) {
  console.log(`\n=== ${step.name} ===`);
  const started = Date.now();
  const code = await step.run();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  results.push({ name: step.name, ok: code === 0, seconds });
  if (code !== 0) {
    failed = { name: step.name, code };
    console.error(`\nnpm test: step '${step.name}' failed (exit code ${code})`);
    break;
  }
}

console.log("\n=== summary ===");
for (const step of steps) {
  const r = results.find((x) => x.name === step.name);
  console.log(`${r ? (r.ok ? "ok     " : "FAILED ") : "skipped"} ${step.name}${r ? ` (${r.seconds} s)` : ""}`);
}
const started = await swiftStarting;
if (started.swift) await started.swift.stop();
process.exit(failed ? failed.code || 1 : 0);
