// @ts-check
/**
 * One OpenStack Swift (s3api middleware) on loopback for the S3 tests and benchmarks: Debian's
 * packages (installed with apt-get when we are root and they are missing), a temporary directory
 * of its own, free ports, and every process killed at the end. The Swift servers call setsid(),
 * so killing a process group misses them: each pid is recorded and killed one by one.
 *
 * Used by scripts/test.mjs (started at the beginning of `npm test`, in parallel with the type
 * check), by the tests when run alone (test-support/swift.ts), and by bench/. When Swift cannot
 * be installed or started, `startSwift` throws an error that says why: nothing is skipped.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const PACKAGES = ["swift-proxy", "swift-account", "swift-container", "swift-object", "memcached"];
const BINARIES = ["/usr/bin/swift-proxy-server", "/usr/bin/swift-account-server", "/usr/bin/swift-container-server", "/usr/bin/swift-object-server", "/usr/bin/memcached"];
const START_TIMEOUT_MS = 90_000;

export const SWIFT_CREDENTIALS = { accessKeyId: "test:tester", secretAccessKey: "testing" };
export const SWIFT_REGION = "us-east-1";

/** Installs Debian's Swift packages when missing; throws with the command to run when we may not. */
export function ensureSwiftInstalled() {
  const missing = BINARIES.filter((b) => !existsSync(b));
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const cmd = `apt-get install -y --no-install-recommends ${PACKAGES.join(" ")}`;
  if (!isRoot) throw new Error(`OpenStack Swift is not installed (missing ${missing.join(", ")}); the S3 tests need it. Install it with: sudo ${cmd}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  let r = spawnSync("apt-get", ["install", "-y", "--no-install-recommends", ...PACKAGES], { stdio: "inherit", env });
  if (r.status !== 0) {
    // A fresh image has no package lists yet.
    spawnSync("apt-get", ["update"], { stdio: "inherit", env });
    r = spawnSync("apt-get", ["install", "-y", "--no-install-recommends", ...PACKAGES], { stdio: "inherit", env });
  }
  const still = BINARIES.filter((b) => !existsSync(b));
  if (r.status !== 0 || still.length > 0) throw new Error(`installing OpenStack Swift failed (${cmd}: exit ${r.status}); missing ${still.join(", ")}`);
}

/** @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === "object" ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

/** @param {string} url @param {AbortSignal} signal */
async function waitHealthy(url, signal) {
  for (;;) {
    signal.throwIfAborted();
    try {
      const res = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(2000)]) });
      if (res.ok) return;
    } catch (err) {
      if (signal.aborted) throw err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * @typedef {{ endpoint: string, region: string, credentials: { accessKeyId: string, secretAccessKey: string }, dir: string, stop(): Promise<void>, stopProxy(): Promise<void>, startProxy(): Promise<void> }} Swift
 * @param {{ log?: (line: string) => void }} [opts]
 * @returns {Promise<Swift>}
 */
export async function startSwift(opts = {}) {
  ensureSwiftInstalled();
  const dir = mkdtempSync(path.join(existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir(), "coffer-swift-"));
  /** @type {number[]} */
  const ports = [];
  while (ports.length < 5) {
    const p = await freePort();
    if (!ports.includes(p)) ports.push(p);
  }
  const [mc, obj, con, acc, proxy] = ports;
  const setup = spawnSync("bash", [path.join(here, "swift", "setup-swift.sh"), dir, "/", ...ports.map(String)], { encoding: "utf8" });
  if (setup.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`setting up OpenStack Swift failed: ${setup.stderr || setup.stdout}`);
  }
  const child = spawn("bash", [path.join(dir, "start.sh")], { stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  const keep = (/** @type {Buffer} */ b) => {
    output = (output + b.toString()).slice(-8000);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));

  const stop = async () => {
    // The launcher traps TERM and kills what it started; the recorded pids cover a launcher
    // that died first, since the servers left its process group.
    /** @type {number[]} */
    let pids = [];
    try {
      pids = readFileSync(path.join(dir, "run", "pids"), "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {}
    try {
      child.kill("SIGTERM");
    } catch {}
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGTERM");
      } catch {}
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {}
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const endpoint = `http://127.0.0.1:${proxy}`;
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error("timeout")), START_TIMEOUT_MS);
  try {
    await Promise.race([
      waitHealthy(`${endpoint}/healthcheck`, ac.signal),
      exited.then((/** @type {any} */ e) => {
        throw new Error(`the Swift launcher exited (code ${e.code}, signal ${e.signal})`);
      }),
    ]);
  } catch (err) {
    await stop();
    throw new Error(
      `OpenStack Swift did not start on ${endpoint} within ${START_TIMEOUT_MS / 1000} s: ${err instanceof Error ? err.message : err}\n${output}`,
    );
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  const pidFile = path.join(dir, "run", "pids");
  const readPids = () => readFileSync(pidFile, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  const portOpen = () =>
    fetch(`${endpoint}/healthcheck`, { signal: AbortSignal.timeout(2000) }).then(
      () => true,
      () => false,
    );
  /** Stops the proxy only (the "object store went away" tests): resolves once it refuses connections. */
  const stopProxy = async () => {
    const pids = readPids();
    const proxyPid = pids[pids.length - 1];
    try {
      process.kill(proxyPid, "SIGTERM");
    } catch {}
    while (await portOpen()) await new Promise((r) => setTimeout(r, 50));
  };
  /** Starts the proxy again on the same port; resolves once it answers. */
  const startProxy = async () => {
    const proxy = spawn("/usr/bin/python3", [path.join(dir, "swiftrun.py"), "/usr/bin/swift-proxy-server", path.join(dir, "etc", "proxy-server.conf")], {
      env: { ...process.env, SWIFT_CONF_FILE: path.join(dir, "etc", "swift.conf") },
      stdio: "ignore",
      detached: true,
    });
    proxy.unref();
    const pids = readPids();
    pids.push(/** @type {number} */ (proxy.pid));
    writeFileSync(pidFile, pids.join(" "));
    const ac = new AbortController();
    const t = setTimeout(() => ac.abort(new Error("timeout")), START_TIMEOUT_MS);
    try {
      await waitHealthy(`${endpoint}/healthcheck`, ac.signal);
    } finally {
      clearTimeout(t);
    }
  };
  opts.log?.(`OpenStack Swift (s3api) listening on ${endpoint} (memcached ${mc}, object ${obj}, container ${con}, account ${acc})`);
  child.unref();
  return { endpoint, region: SWIFT_REGION, credentials: SWIFT_CREDENTIALS, dir, stop, stopProxy, startProxy };
}

// `node scripts/swift.mjs`: starts one and keeps it running until Ctrl-C (for benchmarks by hand).
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const swift = await startSwift({ log: console.log });
  console.log(`COFFER_TEST_S3_ENDPOINT=${swift.endpoint}`);
  const end = () => void swift.stop().then(() => process.exit(0));
  process.on("SIGINT", end);
  process.on("SIGTERM", end);
}
