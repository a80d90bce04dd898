// @ts-check
/**
 * The console's pages as seen from its server (scripts/serve.mjs): starts Next in a process of
 * its own (scripts/page-server.mjs), forwards page requests to it over a Unix socket, restarts
 * it when it dies, and stops it with the server. The API stays in serve.mjs's process; why the
 * pages do not is in page-server.mjs.
 *
 * Both sides are here: startPageProcess in the server, servePages in the page process.
 *
 * The socket lives in a fresh directory under the system's temporary directory, made by
 * mkdtemp (mode 0700), so only this user can connect to it, and the front door cannot be
 * bypassed. The server removes the directory when it stops; the page process removes it when
 * the server is gone without doing so (killed outright). When both are killed at once (SIGKILL
 * to the process group, as a test runner or a service manager may do), the next server to start
 * removes it: the directory's name carries the server's pid (`coffer-pages-<pid>-XXXXXX`).
 */
import { fork } from "node:child_process";
import { lstatSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { pidAlive } from "./pid-alive.mjs";

const PAGE_SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), "page-server.mjs");

/** Restart delays after the page server stops on its own: doubling, at most RESTART_MAX_MS. */
const RESTART_FIRST_MS = 500;
const RESTART_MAX_MS = 30_000;
/** A run that lasted this long resets the delay (it was not a crash loop). */
const STABLE_MS = 60_000;
/** How long a page request waits for the page server to be ready before it is told to retry. */
const READY_WAIT_MS = 60_000;
/** The same while the page server keeps stopping: the log says why, the browser need not wait. */
const READY_WAIT_FAILING_MS = 5_000;

const DIR_PREFIX = "coffer-pages-";
/** A socket directory's name: the prefix, the server's pid, mkdtemp's six characters. */
const LEFTOVER = new RegExp(`^${DIR_PREFIX}(\\d+)-[A-Za-z0-9]{6}$`);

/**
 * Removes the socket directories of servers that are gone (see above): this user's, named for a
 * pid that no longer runs. A pid that runs again for another process keeps its directory (a
 * leftover, never a live server's socket removed).
 */
function removeLeftovers() {
  const tmp = os.tmpdir();
  const uid = process.getuid?.();
  for (const name of readdirSync(tmp)) {
    const m = LEFTOVER.exec(name);
    if (!m || Number(m[1]) === process.pid || pidAlive(Number(m[1]))) continue;
    const dir = path.join(tmp, name);
    const st = lstatSync(dir, { throwIfNoEntry: false });
    if (st?.isDirectory() && st.uid === uid) rmSync(dir, { recursive: true, force: true });
  }
}

/** Connection headers of one hop (RFC 9110 7.6.1): not passed on. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"]);

/**
 * @typedef {{
 *   forward: (req: http.IncomingMessage, res: http.ServerResponse) => void,
 *   stop: () => Promise<void>,
 *   whenReady: () => Promise<void>,
 *   pid: () => number | undefined,
 * }} PageProcess
 */

/**
 * Starts the page server and returns how to reach and stop it. `script` is for tests: another
 * server that speaks page-server.mjs's part (listens on COFFER_PAGE_SOCKET, sends `{ ready: true }`).
 * @param {{ host: string, port: number, log: (line: string) => void, script?: string }} opts
 * @returns {PageProcess & { socketDir: string }}
 */
export function startPageProcess({ host, port, log, script = PAGE_SERVER }) {
  removeLeftovers();
  const dir = mkdtempSync(path.join(os.tmpdir(), `${DIR_PREFIX}${process.pid}-`));
  const socketPath = path.join(dir, "pages.sock");
  const agent = new http.Agent({ keepAlive: true });
  /** @type {import("node:child_process").ChildProcess | undefined} */
  let child;
  let stopping = false;
  let delay = RESTART_FIRST_MS;
  /** How the page server last stopped on its own, until it is ready again. */
  let lastStop = "";
  /** @type {{ promise: Promise<void>, resolve: () => void, ready: boolean }} */
  let ready = pending();

  function pending() {
    /** @type {() => void} */
    let resolve = () => undefined;
    const promise = new Promise((r) => (resolve = /** @type {() => void} */ (r)));
    const out = { promise, resolve: () => ((out.ready = true), resolve()), ready: false };
    return out;
  }

  function spawnChild() {
    const startedAt = Date.now();
    const c = fork(script, [], {
      // Not the server's own flags (e.g. --cpu-prof): this process is not what they were for.
      execArgv: [],
      env: { ...process.env, COFFER_PAGE_SOCKET: socketPath, HOST: host, PORT: String(port), COFFER_SCHEDULER: "0" },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    child = c;
    c.on("message", (m) => {
      if (m && typeof m === "object" && /** @type {{ ready?: unknown }} */ (m).ready === true) {
        lastStop = "";
        ready.resolve();
      }
    });
    c.on("exit", (code, signal) => {
      if (child === c) child = undefined;
      if (stopping) return;
      if (ready.ready) ready = pending();
      if (Date.now() - startedAt > STABLE_MS) delay = RESTART_FIRST_MS;
      lastStop = signal ?? `exit code ${code}`;
      log(`the page server stopped (${lastStop}); starting it again in ${(delay / 1000).toFixed(1)} s`);
      setTimeout(() => stopping || spawnChild(), delay).unref();
      delay = Math.min(delay * 2, RESTART_MAX_MS);
    });
  }
  spawnChild();

  /** @type {PageProcess["forward"]} */
  function forward(req, res) {
    if (ready.ready) {
      pass(req, res);
      return;
    }
    const failing = lastStop;
    const timer = setTimeout(
      () =>
        unavailable(
          res,
          failing
            ? `the console's pages are not available: their server stopped (${failing}) and is being started again; the console's log says why`
            : "the console's pages are still starting; try again in a moment",
        ),
      failing ? READY_WAIT_FAILING_MS : READY_WAIT_MS,
    );
    void ready.promise.then(() => {
      clearTimeout(timer);
      if (!res.headersSent && !res.destroyed) pass(req, res);
    });
  }

  /**
   * @param {http.IncomingMessage} req
   * @param {http.ServerResponse} res
   */
  function pass(req, res) {
    /** @type {http.OutgoingHttpHeaders} */
    const headers = {};
    for (const [name, value] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(name)) headers[name] = value;
    const upstream = http.request({ socketPath, agent, method: req.method, path: req.url, headers }, (answer) => {
      /** @type {string[]} */
      const raw = [];
      for (let i = 0; i < answer.rawHeaders.length; i += 2) {
        const name = /** @type {string} */ (answer.rawHeaders[i]);
        if (!HOP_BY_HOP.has(name.toLowerCase())) raw.push(name, /** @type {string} */ (answer.rawHeaders[i + 1]));
      }
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, raw);
      answer.pipe(res);
      answer.on("error", () => res.destroy());
    });
    upstream.on("error", (err) => {
      if (res.headersSent) res.destroy();
      else unavailable(res, `the console's pages did not answer (${err.message}); try again in a moment`);
    });
    // The browser left: so does the request to the pages (a streamed page stops rendering).
    res.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  }

  /** @type {PageProcess["stop"]} */
  async function stop() {
    stopping = true;
    agent.destroy();
    const c = child;
    if (c && c.exitCode === null && c.signalCode === null) {
      const gone = new Promise((r) => c.once("exit", r));
      c.kill("SIGTERM");
      await Promise.race([gone, new Promise((r) => setTimeout(r, 5_000).unref())]);
    }
    rmSync(dir, { recursive: true, force: true });
  }

  return { forward, stop, whenReady: () => ready.promise, pid: () => child?.pid, socketDir: dir };
}

/**
 * @param {http.ServerResponse} res
 * @param {string} message
 */
function unavailable(res, message) {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(503, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", "retry-after": "2" }).end(`${message}\n`);
}

/**
 * The page process's side: serves `handler` on the socket startPageProcess chose
 * (COFFER_PAGE_SOCKET), tells the server once it listens, and ends with the server. A failed
 * request becomes a 500 and a log line.
 * @param {(req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>} handler
 */
export function servePages(handler) {
  const socket = process.env.COFFER_PAGE_SOCKET;
  const send = process.send?.bind(process);
  if (!socket || !send) {
    console.error("coffer: the page server is started by scripts/serve.mjs (npm start); run that instead");
    process.exit(2);
  }
  // The server went away (stopped, or killed outright): nobody is left to serve, and nobody
  // else will remove the socket's directory.
  process.on("disconnect", () => {
    rmSync(path.dirname(socket), { recursive: true, force: true });
    process.exit(0);
  });
  // From the server, which removes the directory once this process is gone.
  process.on("SIGTERM", () => process.exit(0));
  // Ctrl-C in a terminal reaches the whole process group: the server decides, and stops this one.
  process.on("SIGINT", () => undefined);

  const server = http.createServer((req, res) => {
    handler(req, res).catch((err) => {
      console.error("coffer: page request failed:", err);
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
      res.end("internal server error\n");
    });
  });
  server.on("error", (err) => {
    console.error(`coffer: the page server cannot listen on ${socket}: ${err.message}`);
    process.exit(1);
  });
  // A page process before this one that died left its socket; the directory is this user's alone.
  rmSync(socket, { force: true });
  server.listen(socket, () => send({ ready: true }));
}
