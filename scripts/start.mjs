#!/usr/bin/env node
/**
 * `npm start`: builds the console when the build is missing or older than the sources, makes
 * sure the demo datastore exists, then serves the production build. Listens on 127.0.0.1
 * unless HOST says otherwise (DESIGN.md section 13; `next start` alone would listen on all
 * interfaces), on PORT (default 3000), through scripts/serve.mjs.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const host = process.env.HOST || "127.0.0.1";
const port = process.env.PORT || "3000";
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };
const next = path.join(root, "node_modules", ".bin", "next");
const coffer = path.join(root, "bin", "coffer");

// What goes into the build. Tests, e2e specs and scripts do not.
const SOURCE_DIRS = ["app", "components", "server", "public"];
const SOURCE_FILES = ["next.config.ts", "tsconfig.json", "package.json", "package-lock.json"];

function newestMtime(entry) {
  let st;
  try {
    st = statSync(entry);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return /\.test\.tsx?$/.test(entry) ? 0 : st.mtimeMs;
  let newest = 0;
  for (const name of readdirSync(entry)) {
    if (name === "node_modules" || name.startsWith(".")) continue;
    newest = Math.max(newest, newestMtime(path.join(entry, name)));
  }
  return newest;
}

function buildIsCurrent() {
  const buildId = path.join(root, ".next", "BUILD_ID");
  if (!existsSync(buildId)) return false;
  const built = statSync(buildId).mtimeMs;
  const sources = Math.max(...[...SOURCE_DIRS, ...SOURCE_FILES].map((p) => newestMtime(path.join(root, p))));
  return sources <= built;
}

function run(command, args, label) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env, stdio: "inherit" });
    child.on("error", (err) => reject(new Error(`${label}: ${err.message}`)));
    child.on("exit", (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${label} failed (${signal ?? `exit code ${code}`})`)),
    );
  });
}

try {
  if (buildIsCurrent()) {
    console.log("coffer: the build is up to date");
  } else {
    console.log("coffer: building the console (next build)...");
    await run(next, ["build"], "next build");
  }
  // COFFER_HOME defaults to .coffer/ under the working directory, which is the repo root here.
  await run(coffer, ["demo", "ensure"], "coffer demo ensure");
} catch (err) {
  console.error(`coffer: ${err.message}`);
  process.exit(1);
}

// scripts/serve.mjs: the API, and the pages from a Next process of its own, behind the front door
// (Host check, trusted proxies only).
const server = spawn(process.execPath, [path.join(root, "scripts", "serve.mjs")], {
  cwd: root,
  env: { ...env, HOST: host, PORT: port },
  stdio: "inherit",
});
const shownHost = host.includes(":") ? `[${host}]` : host;
const home = path.resolve(root, process.env.COFFER_HOME || ".coffer");
console.log(`coffer: console at http://${shownHost}:${port}/ (COFFER_HOME=${home})`);
// How to log in: the server creates admin@pbs on its first start (instrumentation.ts).
const passwordFile = path.join(home, "etc", "admin-password");
const haveUsers = existsSync(path.join(home, "etc", "users.json"));
// Only the first start prints a password (instrumentation.ts): later starts point to the file, if it is still there.
if (process.env.COFFER_ADMIN_PASSWORD && !haveUsers) {
  console.log("coffer: log in as admin@pbs with the password from COFFER_ADMIN_PASSWORD");
} else if (!haveUsers) {
  console.log(`coffer: log in as admin@pbs; its generated password is printed below and kept in ${passwordFile} (readable only by you)`);
} else if (existsSync(passwordFile)) {
  console.log(`coffer: log in as admin@pbs with the password saved in ${passwordFile} on the first start (delete the file once noted)`);
} else {
  console.log("coffer: log in with your Coffer user (admin@pbs was set up on the first start)");
}

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => server.kill(signal));
}
server.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
