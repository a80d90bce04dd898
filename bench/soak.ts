/**
 * Soak benchmark: the console's API under load while the datastore is being reorganised
 * (issue 12). Not a timed test: it prints what it measured.
 *
 *   npx next build && node --import tsx bench/soak.ts [--seconds 300] [--clients 50] [--port 3390]
 *      [--groups 200] [--snapshots 5] [--quiet-seconds 60] [--profile DIR] [--writers move,gc,verify,backup]
 *
 * It builds a datastore in a temporary COFFER_HOME (tmpfs when there is one): namespace `a/x`
 * with G groups x S snapshots (copies of one real snapshot, as bench/move.ts builds them) and
 * namespace `c` for backups; starts the production server (scripts/serve.mjs, the one
 * `npm start` runs) on loopback, logs in as admin@pbs, and for `--seconds` runs
 *   - N clients, each calling the read procedures the console calls (datastore list and
 *     summary, namespace list, group and snapshot pages in the moving namespaces and in `c`,
 *     the task list, the maintenance state with the active-operation counts) one after another
 *     over HTTP with the session cookie;
 *   - namespace moves `a/x` <-> `b/x` back and forth, alternately through the API
 *     (move.startNamespace) and the CLI (`coffer namespace move`);
 *   - garbage collection through the API (gc.start), one after another;
 *   - verify of namespace `c` through the API (verify.start), one after another;
 *   - CLI backups (`coffer backup soak --ns c host/soak-K data.pxar=DIR`), one after another.
 * Then it waits for the last tasks, verifies the whole store with `coffer verify` and compares
 * the snapshots (type/id/time, wherever they are) with those before the run plus the backups
 * that succeeded: "lost" are missing ones, "duplicated" ones found in two places.
 *
 * The baseline, in the same run: the same clients for `--quiet-seconds` (default a fifth of
 * `--seconds`, 10 to 60) before any writer starts. Reads that never wait on writers have about
 * the same latency in both phases; the ratio of the p99s is printed per procedure.
 *
 * Printed: per 30-second window the requests, requests/s, p50/p95/p99 latency and the server's
 * RSS; the server's CPU time per request (quiet and under writers) and the bench's own CPU;
 * errors by code (NOT_FOUND for a namespace or group that a move took away a moment before is
 * expected and counted apart); what the background operations did (and their refusals); RSS
 * at start and end, the page process's too. Goals: p99 < 300 ms in every window, 0 5xx, 0 unexpected errors,
 * nothing lost or duplicated, memory flat after warm-up.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomFillSync } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { LocalChunkStore } from "../server/datastore/storage/chunk-store";
import { updateDatastoreConfigs } from "../server/config/datastore-config";
import { BackupNamespace, formatBackupTime } from "../server/datastore/model/names";
import { openDatastore } from "../server/datastore/open";
import { SnapshotWriter } from "../server/datastore/backup/snapshot-writer";
import { ensureAdminUser } from "../server/auth";
import { arg } from "./support/args";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bin = path.join(repo, "bin", "coffer");

const SECONDS = arg("seconds", 300);
const CLIENTS = arg("clients", 50);
const PORT = arg("port", 3390);
const GROUPS = arg("groups", 200);
const SNAPSHOTS = arg("snapshots", 5);
const WINDOW_MS = 30_000;
/** `--profile DIR`: the server writes a V8 CPU profile there when it stops (node --cpu-prof). */
const PROFILE_DIR = (() => {
  const i = process.argv.indexOf("--profile");
  return i === -1 ? undefined : path.resolve(String(process.argv[i + 1]));
})();
/** `--writers`: which background operations run (all four by default), to see what each one costs. */
const WRITER_KINDS = ["move", "gc", "verify", "backup"] as const;
const WRITERS = (() => {
  const i = process.argv.indexOf("--writers");
  const list = i === -1 ? [...WRITER_KINDS] : String(process.argv[i + 1]).split(",");
  for (const w of list) {
    if (!(WRITER_KINDS as readonly string[]).includes(w)) throw new Error(`--writers takes a comma-separated list of ${WRITER_KINDS.join(", ")}, not '${w}'`);
  }
  return new Set(list);
})();
/** The baseline: the same clients for this long before the writers start, with nothing else running. */
const QUIET_SECONDS = arg("quiet-seconds", Math.min(60, Math.max(10, Math.round(SECONDS / 5))));
const STORE = "soak";
const ADMIN = "admin@pbs";
const PASSWORD = "coffer-soak-admin";
const ORIGIN = `http://127.0.0.1:${PORT}`;
const T0 = 1_700_000_000;

if (!existsSync(path.join(repo, ".next", "BUILD_ID"))) {
  console.error("no production build: run `npx next build` first");
  process.exit(2);
}

const tmp = existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir();
const home = mkdtempSync(path.join(tmp, "coffer-soak-"));
process.env.COFFER_HOME = home;
const env = { ...process.env, COFFER_HOME: home, COFFER_ADMIN_PASSWORD: PASSWORD };
const storeDir = path.join(home, "datastores", STORE);

// ---------------------------------------------------------------------------------------------
// Data.

async function buildStore(): Promise<void> {
  await LocalChunkStore.create(storeDir);
  await updateDatastoreConfigs((l) => [...l, { name: STORE, path: storeDir }]);
  const ds = await openDatastore(STORE, "write");
  try {
    for (const ns of ["a", "b", "c"]) await ds.createNamespace(BackupNamespace.root, ns);
    const x = await ds.createNamespace(BackupNamespace.parse("a"), "x");
    const w = await SnapshotWriter.begin(ds, x, { type: "vm", id: "1000" }, { authId: "root@pam", backupTime: T0 });
    await w.writeBlob("qemu-server.conf", Buffer.from("cores: 2\n"));
    await w.writeFixed("drive-scsi0.img", (async function* () { yield Buffer.alloc(256 * 1024, 1); })(), { chunkSize: 64 * 1024 });
    await w.finish();
  } finally {
    await ds.close();
  }
  const template = path.join(storeDir, "ns/a/ns/x/vm/1000", formatBackupTime(T0));
  const types = ["vm", "ct", "host"];
  for (let g = 0; g < GROUPS; g++) {
    const groupDir = path.join(storeDir, "ns/a/ns/x", types[g % 3]!, String(1000 + g));
    mkdirSync(groupDir, { recursive: true });
    if (!existsSync(path.join(groupDir, "owner"))) writeFileSync(path.join(groupDir, "owner"), "root@pam\n");
    for (let s = g === 0 ? 1 : 0; s < SNAPSHOTS; s++) cpSync(template, path.join(groupDir, formatBackupTime(T0 + s * 3600)), { recursive: true });
  }
}

/** Every snapshot directory in the store as `type/id/time` -> the namespaces it is in. */
function snapshotsOnDisk(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const walk = (dir: string, ns: string) => {
    for (const type of ["vm", "ct", "host"]) {
      const typeDir = path.join(dir, type);
      if (!existsSync(typeDir)) continue;
      for (const id of readdirSync(typeDir)) {
        for (const time of readdirSync(path.join(typeDir, id))) {
          if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(time)) continue;
          const key = `${type}/${id}/${time}`;
          out.set(key, [...(out.get(key) ?? []), ns]);
        }
      }
    }
    const children = path.join(dir, "ns");
    if (existsSync(children)) for (const child of readdirSync(children)) walk(path.join(children, child), ns ? `${ns}/${child}` : child);
  };
  walk(storeDir, "");
  return out;
}

// ---------------------------------------------------------------------------------------------
// HTTP.

let cookie = "";

interface Outcome {
  ok: boolean;
  status: number;
  code?: string;
  message?: string;
  data?: unknown;
}

/**
 * The clients' connections: kept alive, one per client at most, as a browser keeps its own.
 * Requests go through node:http rather than fetch: the clients stand in for browsers on other
 * machines, but run on the server's two cores, and fetch cost them twice the CPU per request
 * (docs/benchmarks.md, soak, stop 30). The server sees the same requests either way, gzip
 * included.
 */
const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });

function httpCall(method: "GET" | "POST", url: string, body: string | undefined): Promise<{ status: number; text: string; setCookie: string[] }> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = { cookie, origin: ORIGIN, "accept-encoding": "gzip" };
    if (body !== undefined) headers["content-type"] = "application/json";
    const req = http.request(url, { method, headers, agent }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (c: Buffer) => parts.push(c));
      res.on("error", reject);
      res.on("end", () => {
        try {
          const raw = Buffer.concat(parts);
          const text = (res.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw).toString("utf8");
          resolve({ status: res.statusCode ?? 0, text, setCookie: res.headers["set-cookie"] ?? [] });
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function call(kind: "query" | "mutation", proc: string, input: unknown): Promise<Outcome> {
  const url =
    kind === "query"
      ? `${ORIGIN}/api/trpc/${proc}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`}`
      : `${ORIGIN}/api/trpc/${proc}`;
  const res = await httpCall(kind === "query" ? "GET" : "POST", url, kind === "mutation" ? JSON.stringify(input) : undefined);
  keepCookies(res.setCookie);
  const ok = res.status >= 200 && res.status < 300;
  let body: { result?: { data?: unknown }; error?: { message?: string; data?: { code?: string }; json?: { message?: string; data?: { code?: string } } } } = {};
  try {
    body = JSON.parse(res.text);
  } catch {
    return { ok: false, status: res.status, code: `HTTP_${res.status}`, message: res.text.slice(0, 200) };
  }
  if (ok && body.result) return { ok: true, status: res.status, data: body.result.data };
  const err = body.error?.json ?? body.error;
  return { ok: false, status: res.status, code: err?.data?.code ?? `HTTP_${res.status}`, message: err?.message };
}

/**
 * Takes the cookies a response sets, as a browser's cookie jar does: the console renews the
 * session cookie once a minute, and a client that kept sending the old one would have it renewed
 * on every request, which no browser makes the server do.
 */
function keepCookies(set: string[]): void {
  if (set.length === 0) return;
  const jar = new Map(cookie.split("; ").filter(Boolean).map((c) => [c.slice(0, c.indexOf("=")), c] as const));
  for (const c of set) {
    const pair = c.split(";")[0]!;
    jar.set(pair.slice(0, pair.indexOf("=")), pair);
  }
  cookie = [...jar.values()].join("; ");
}

async function login(): Promise<void> {
  const res = await fetch(`${ORIGIN}/api/trpc/auth.login`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: ORIGIN },
    body: JSON.stringify({ username: ADMIN, password: PASSWORD }),
  });
  if (!res.ok) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  cookie = res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
}

async function waitForServer(server: ChildProcess): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (server.exitCode !== null) throw new Error(`the server exited (${server.exitCode})`);
    try {
      await fetch(`${ORIGIN}/login`);
      return;
    } catch {
      await sleep(200);
    }
  }
  throw new Error("the server did not answer within 2 minutes");
}

/** USER_HZ, which Linux fixes at 100 on every architecture Node runs on. */
const CLOCK_TICKS = 100;

/**
 * The CPU time the server has used, all its threads, in ms. Per request it compares two runs far
 * better than latency does on a shared machine: it does not count time spent waiting for a core.
 */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  // utime and stime: fields 14 and 15 of the line, 12 and 13 after "pid (comm) "; in clock ticks.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}
function ownCpuMs(used: NodeJS.CpuUsage): number {
  return (used.user + used.system) / 1000;
}

/** The server's page process (scripts/page-server.mjs), among its children (tasks are too). */
function pagesPid(serverPid: number): number | undefined {
  const children = readFileSync(`/proc/${serverPid}/task/${serverPid}/children`, "utf8").trim().split(" ").filter(Boolean).map(Number);
  return children.find((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("page-server.mjs");
    } catch {
      return false; // a task that ended meanwhile
    }
  });
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

/**
 * The process that really serves: `node scripts/serve.mjs` itself (no wrapper in between), in a
 * session of its own as a service manager starts it. Under autogroup scheduling the server then
 * has its own share of the CPU instead of one shared with this bench's 50 clients and CLI runs,
 * which stand in for browsers and administrators on other machines.
 */
function startServer(): ChildProcess {
  const profile = PROFILE_DIR === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", PROFILE_DIR];
  const server = spawn(process.execPath, [...profile, path.join(repo, "scripts/serve.mjs")], {
    cwd: repo,
    env: { ...env, PORT: String(PORT), HOST: "127.0.0.1" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  // Detached, it would outlive a bench that crashes.
  process.once("exit", () => server.exitCode === null && server.kill("SIGKILL"));
  return server;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Load.

interface Sample {
  at: number;
  ms: number;
  proc: string;
}
const samples: Sample[] = [];
const errors = new Map<string, number>();
const expectedErrors = new Map<string, number>();
const errorExamples = new Map<string, string>();
let fiveHundreds = 0;
const count = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

/** Namespaces the clients read: both ends of the moves, and the backups' `c`. */
const CONTENT_NS = ["a/x", "b/x", "c"];

/** NOT_FOUND of a namespace or group that a move takes away is the truth, not a failure. */
function expected(o: Outcome, ns: string | undefined): boolean {
  return o.code === "NOT_FOUND" && ns !== undefined && ns !== "c" && /does not exist/.test(o.message ?? "");
}

async function client(deadline: number, seed: number): Promise<void> {
  let i = seed;
  while (Date.now() < deadline) {
    i++;
    const ns = CONTENT_NS[i % CONTENT_NS.length]!;
    const id = String(1000 + (i % GROUPS));
    const type = ["vm", "ct", "host"][(i % GROUPS) % 3]!;
    const pick = i % 8;
    const [proc, input, where]: [string, unknown, string | undefined] =
      pick === 0
        ? ["datastore.list", undefined, undefined]
        : pick === 1
          ? ["datastore.status", { store: STORE }, undefined]
          : pick === 2
            ? ["namespace.list", { store: STORE, parent: "" }, undefined]
            : pick === 3 || pick === 4
              ? ["group.list", { store: STORE, ns, limit: 50, offset: 0, sort: pick === 4 ? "last-backup" : "name" }, ns]
              : pick === 5
                ? ns === "c"
                  ? ["group.list", { store: STORE, ns, limit: 50, offset: 0 }, ns]
                  : ["snapshot.list", { store: STORE, ns, group: { type, id }, limit: 50, offset: 0 }, ns]
                : pick === 6
                  ? ["task.list", { limit: 50 }, undefined]
                  : ["maintenance.get", { store: STORE }, undefined];
    const started = performance.now();
    let o: Outcome;
    try {
      o = await call("query", proc, input);
    } catch (err) {
      o = { ok: false, status: 0, code: "NETWORK", message: (err as Error).message };
    }
    samples.push({ at: Date.now(), ms: performance.now() - started, proc });
    if (!o.ok) {
      if (o.status >= 500) fiveHundreds++;
      const key = `${o.code} (${proc})`;
      if (expected(o, where)) count(expectedErrors, key);
      else {
        count(errors, key);
        if (!errorExamples.has(key)) errorExamples.set(key, o.message ?? "");
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Background operations.

const ops = new Map<string, { ok: number; failed: number; refused: number; notes: Set<string> }>();
function opRecord(name: string) {
  if (!ops.has(name)) ops.set(name, { ok: 0, failed: 0, refused: 0, notes: new Set() });
  return ops.get(name)!;
}

async function waitTask(upid: string): Promise<string> {
  for (;;) {
    const o = await call("query", "task.status", { upid });
    const d = o.data as { status?: string; exitstatus?: string } | undefined;
    if (o.ok && d?.status === "stopped") return d.exitstatus ?? "unknown";
    await sleep(250);
  }
}

/** Starts a task through the API and waits for it; records OK, failure or refusal. */
async function apiTask(name: string, proc: string, input: unknown): Promise<boolean> {
  const rec = opRecord(name);
  const o = await call("mutation", proc, input);
  if (!o.ok) {
    rec.refused++;
    rec.notes.add(`${o.code}: ${o.message}`.slice(0, 240));
    return false;
  }
  const exit = await waitTask((o.data as { upid: string }).upid);
  if (exit === "OK" || exit.startsWith("WARNINGS")) rec.ok++;
  else {
    rec.failed++;
    rec.notes.add(exit.slice(0, 240));
  }
  return exit === "OK" || exit.startsWith("WARNINGS");
}

/**
 * Runs `bin/coffer` as an administrator's shell on another terminal would: in a session of its
 * own. Under autogroup scheduling it then gets its own share of the CPU; started from this
 * bench's session, a CLI backup's hashing shared the clients' share and delayed this process's
 * event loop, which counted as the server's latency.
 */
function cliRun(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env, cwd: repo, detached: true, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4096)));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

async function cli(name: string, args: string[]): Promise<boolean> {
  const rec = opRecord(name);
  try {
    const { code, stderr } = await cliRun(args);
    if (code === 0) {
      rec.ok++;
      return true;
    }
    rec.failed++;
    rec.notes.add((stderr.trim().split("\n").pop() ?? `exit ${code}`).slice(0, 240));
    return false;
  } catch (err) {
    rec.failed++;
    rec.notes.add((err as Error).message.slice(0, 240));
    return false;
  }
}

async function mover(deadline: number): Promise<void> {
  let where = "a";
  for (let n = 0; Date.now() < deadline; n++) {
    const to = where === "a" ? "b" : "a";
    const moved =
      n % 2 === 0
        ? await apiTask("move (API)", "move.startNamespace", { store: STORE, ns: `${where}/x`, targetNs: `${to}/x` })
        : await cli("move (CLI)", ["namespace", "move", STORE, `${where}/x`, "--target-ns", `${to}/x`]);
    if (moved) where = to;
    else await sleep(500);
  }
}

async function gcLoop(deadline: number): Promise<void> {
  while (Date.now() < deadline) if (!(await apiTask("gc (API)", "gc.start", { store: STORE }))) await sleep(500);
}

async function verifyLoop(deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    if (!(await apiTask("verify c (API)", "verify.start", { store: STORE, ns: "c", ignoreVerified: false }))) await sleep(500);
  }
}

const backedUp: string[] = [];
async function backupLoop(deadline: number, data: string): Promise<void> {
  for (let k = 0; Date.now() < deadline; k++) {
    const time = T0 + 1_000_000 + k * 60;
    const group = `host/soak-${k % 5}`;
    if (await cli("backup (CLI)", ["backup", STORE, "--ns", "c", group, `data.pxar=${data}`, "--backup-time", String(time)])) {
      backedUp.push(`${group}/${formatBackupTime(time)}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Report.

/** Percentile `p` of the samples' latencies, rounded, as text. */
function pct(list: Sample[], p: number): string {
  return percentile(list.map((x) => x.ms).sort((a, b) => a - b), p).toFixed(0);
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  console.log(`soak: ${CLIENTS} clients for ${SECONDS} s on ${ORIGIN} (production server); writers: ${[...WRITERS].join(", ")}; ${GROUPS} groups x ${SNAPSHOTS} snapshots moving; home ${home}`);
  console.log(`load: ${os.loadavg().map((l) => l.toFixed(1)).join(" ")} (1/5/15 min) on ${os.cpus().length} cores before the run`);
  await buildStore();
  await ensureAdminUser(() => {}, { COFFER_ADMIN_PASSWORD: PASSWORD });
  const data = path.join(home, "backup-src");
  mkdirSync(data);
  for (let f = 0; f < 8; f++) writeFileSync(path.join(data, `f${f}.bin`), randomFillSync(Buffer.alloc(512 * 1024)));
  const before = snapshotsOnDisk();

  const server = startServer();
  let serverLog = "";
  server.stdout!.on("data", (c: Buffer) => (serverLog += c.toString()));
  server.stderr!.on("data", (c: Buffer) => (serverLog += c.toString()));
  try {
    await waitForServer(server);
    await login();
    // Warm-up: every procedure once, so compiling and first loads do not count.
    await client(Date.now() + 3_000, 0);
    samples.length = 0;
    errors.clear();
    expectedErrors.clear();
    fiveHundreds = 0;
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const quietStart = Date.now();
    const quietCpu = cpuMs(server.pid!);
    const quietOwnCpu = process.cpuUsage();
    await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(quietStart + QUIET_SECONDS * 1000, c * 7)));
    const quiet = samples.splice(0);
    const quietCpuMs = cpuMs(server.pid!) - quietCpu;
    const quietOwnCpuMs = ownCpuMs(process.cpuUsage(quietOwnCpu));
    const quietLoopP99 = loopDelay.percentile(99) / 1e6;
    loopDelay.reset();
    const quietErrors = [...errors.entries()];
    errors.clear();
    const rssStart = rssMiB(server.pid!);
    const pages = pagesPid(server.pid!);
    const pagesRssStart = pages === undefined ? NaN : rssMiB(pages);
    const start = Date.now();
    const writersCpu = cpuMs(server.pid!);
    const writersOwnCpu = process.cpuUsage();
    const deadline = start + SECONDS * 1000;
    const windows: { rss: number }[] = [];
    const sampler = setInterval(() => windows.push({ rss: rssMiB(server.pid!) }), WINDOW_MS);
    await Promise.all([
      ...Array.from({ length: CLIENTS }, (_, c) => client(deadline, c * 7)),
      WRITERS.has("move") && mover(deadline),
      WRITERS.has("gc") && gcLoop(deadline),
      WRITERS.has("verify") && verifyLoop(deadline),
      WRITERS.has("backup") && backupLoop(deadline, data),
    ]);
    clearInterval(sampler);
    const writersCpuMs = cpuMs(server.pid!) - writersCpu;
    const writersOwnCpuMs = ownCpuMs(process.cpuUsage(writersOwnCpu));
    const rssEnd = rssMiB(server.pid!);
    const pagesRssEnd = pages === undefined ? NaN : rssMiB(pages);
    const writersLoopP99 = loopDelay.percentile(99) / 1e6;
    loopDelay.disable();

    console.log(`\nwindow      requests   req/s    p50 ms   p95 ms   p99 ms   RSS MiB`);
    let worstP99 = 0;
    for (let w = 0; start + w * WINDOW_MS < deadline; w++) {
      const from = start + w * WINDOW_MS;
      const to = Math.min(from + WINDOW_MS, deadline);
      const ms = samples.filter((s) => s.at >= from && s.at < to).map((s) => s.ms).sort((a, b) => a - b);
      const p99 = percentile(ms, 99);
      worstP99 = Math.max(worstP99, p99);
      const rss = windows[w]?.rss ?? rssEnd;
      console.log(
        `${String(w * 30).padStart(4)}-${String(Math.round((to - start) / 1000)).padEnd(4)} s ${String(ms.length).padStart(9)} ${(ms.length / ((to - from) / 1000)).toFixed(1).padStart(7)} ${percentile(ms, 50).toFixed(0).padStart(9)} ${percentile(ms, 95).toFixed(0).padStart(8)} ${p99.toFixed(0).padStart(8)} ${String(rss).padStart(9)}`,
      );
    }
    const all = samples.map((s) => s.ms).sort((a, b) => a - b);
    console.log(`all        ${String(all.length).padStart(9)} ${(all.length / SECONDS).toFixed(1).padStart(7)} ${percentile(all, 50).toFixed(0).padStart(9)} ${percentile(all, 95).toFixed(0).padStart(8)} ${percentile(all, 99).toFixed(0).padStart(8)}`);
    console.log(`quiet      ${String(quiet.length).padStart(9)} ${(quiet.length / QUIET_SECONDS).toFixed(1).padStart(7)} ${pct(quiet, 50).padStart(9)} ${pct(quiet, 95).padStart(8)} ${pct(quiet, 99).padStart(8)}   (baseline: ${QUIET_SECONDS} s before the writers started)`);
    console.log(`\nper procedure        quiet: n    p50    p99 | under writers: n    p50    p99 | p99 ratio`);
    for (const proc of [...new Set([...quiet, ...samples].map((x) => x.proc))].sort()) {
      const q = quiet.filter((x) => x.proc === proc);
      const l = samples.filter((x) => x.proc === proc);
      const ratio = Number(pct(l, 99)) / Number(pct(q, 99));
      console.log(`  ${proc.padEnd(18)} ${String(q.length).padStart(8)} ${pct(q, 50).padStart(6)} ${pct(q, 99).padStart(6)} | ${String(l.length).padStart(16)} ${pct(l, 50).padStart(6)} ${pct(l, 99).padStart(6)} | ${ratio.toFixed(2).padStart(9)}`);
    }
    if (quietErrors.length > 0) console.log(`errors in the quiet phase: ${quietErrors.map(([k, n]) => `${k}: ${n}`).join(", ")}`);
    console.log(`\nserver RSS: ${rssStart} MiB at start (after warm-up), ${rssEnd} MiB at the end; its page process (Next, idle here): ${pagesRssStart} and ${pagesRssEnd} MiB`);
    // Under writers it includes starting their tasks (API moves, GC, verify) and following them.
    const perRequest = (ms: number, n: number) => (n === 0 ? "-" : `${((ms * 1000) / n).toFixed(0)} us`);
    console.log(`server CPU per request: ${perRequest(quietCpuMs, quiet.length)} quiet (${(quietCpuMs / 1000 / QUIET_SECONDS).toFixed(2)} cores), ${perRequest(writersCpuMs, samples.length)} under writers (${(writersCpuMs / 1000 / SECONDS).toFixed(2)} cores)`);
    // The clients stand in for browsers elsewhere, but here they take the same two cores.
    console.log(`the bench's own CPU (its ${CLIENTS} clients, starting the writers): ${(quietOwnCpuMs / 1000 / QUIET_SECONDS).toFixed(2)} cores quiet, ${(writersOwnCpuMs / 1000 / SECONDS).toFixed(2)} under writers`);
    // The clients' latencies include any wait for this process's own event loop.
    console.log(`the bench's own event-loop delay, p99: ${quietLoopP99.toFixed(0)} ms quiet, ${writersLoopP99.toFixed(0)} ms under writers`);
    console.log(`5xx: ${fiveHundreds}`);
    console.log(`unexpected errors: ${[...errors.values()].reduce((a, b) => a + b, 0)}`);
    for (const [k, n] of errors) console.log(`  ${k}: ${n}  e.g. ${errorExamples.get(k)}`);
    console.log(`expected errors (a namespace or group a move had just taken away): ${[...expectedErrors.values()].reduce((a, b) => a + b, 0)}`);
    for (const [k, n] of expectedErrors) console.log(`  ${k}: ${n}`);
    console.log(`\nbackground operations:`);
    for (const [name, r] of ops) {
      console.log(`  ${name}: ${r.ok} ok, ${r.failed} failed, ${r.refused} refused`);
      for (const note of r.notes) console.log(`    ${note}`);
    }

    // Check the store: a full verify, and every snapshot where it should be.
    const verified = await cli("final verify (CLI)", ["verify", STORE, "--ignore-verified", "false"]);
    const after = snapshotsOnDisk();
    const expectedKeys = new Set([...before.keys(), ...backedUp]);
    const lost = [...expectedKeys].filter((k) => !after.has(k));
    const duplicated = [...after.entries()].filter(([, where]) => where.length > 1);
    console.log(`\nstore: ${before.size} snapshots before, ${backedUp.length} backed up during the run, ${after.size} after; final verify ${verified ? "OK" : "FAILED: " + [...opRecord("final verify (CLI)").notes].join("; ")}`);
    console.log(`lost: ${lost.length}, duplicated: ${duplicated.length}`);
    for (const k of lost.slice(0, 10)) console.log(`  lost ${k}`);
    for (const [k, where] of duplicated.slice(0, 10)) console.log(`  duplicated ${k} in ${where.join(", ")}`);
    const goals = [
      worstP99 < 300 ? null : `p99 ${worstP99.toFixed(0)} ms in the worst window (goal < 300 ms)`,
      fiveHundreds === 0 ? null : `${fiveHundreds} 5xx`,
      errors.size === 0 ? null : "unexpected errors",
      lost.length + duplicated.length === 0 ? null : "lost or duplicated snapshots",
    ].filter((g) => g !== null);
    console.log(`\ngoals: ${goals.length === 0 ? "all met" : `not met: ${goals.join("; ")}`}`);
    console.log(`load: ${os.loadavg().map((l) => l.toFixed(1)).join(" ")} (1/5/15 min) after the run`);
    if (/error/i.test(serverLog)) console.log(`\nserver log (errors):\n${serverLog.split("\n").filter((l) => /error/i.test(l)).slice(0, 20).join("\n")}`);
  } finally {
    if (server.exitCode === null) {
      const exited = new Promise((r) => server.once("exit", r));
      server.kill("SIGTERM");
      await exited;
    }
    rmSync(home, { recursive: true, force: true });
  }
}

await main();
