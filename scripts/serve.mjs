#!/usr/bin/env node
// @ts-check
/**
 * Serves the console's production build (`next build` first; `npm start` does both). Every
 * request passes the front door first (scripts/front-door.mjs): the Host header must name this
 * console, forwarded headers count only from trusted proxies, and the app learns the client's
 * real address for login throttling. Then the API (`/api/trpc/*`, `/api/download`) is answered
 * here, from the server bundle (dist/cli/api-server.cjs, server/api/node-adapter.ts: 2.5 times
 * the requests per second of the same handler behind Next), and the pages by Next.
 *
 * Environment: HOST (default 127.0.0.1), PORT (default 3000), COFFER_HOME,
 * COFFER_ALLOWED_ORIGINS (public origins behind a proxy), COFFER_TRUSTED_PROXIES (addresses of
 * reverse proxies whose X-Forwarded-* headers are believed).
 */
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { ensureCli, serverBundlePath } from "./cli-bundle.mjs";
import { FRONT_DOOR_MARK, admit, allowedHosts, parseTrustedProxies } from "./front-door.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const host = process.env.HOST || "127.0.0.1";
const port = Number(process.env.PORT || "3000");

let config;
try {
  const origins = (process.env.COFFER_ALLOWED_ORIGINS ?? "")
    .split(",")
    .map((o) => o.trim())
    .filter((o) => o !== "");
  config = {
    trustedProxies: parseTrustedProxies(process.env.COFFER_TRUSTED_PROXIES),
    allowedHosts: allowedHosts({ host, port, allowedOrigins: origins }),
  };
} catch (err) {
  console.error(`coffer: ${(/** @type {Error} */ (err)).message}`);
  process.exit(2);
}

// @ts-expect-error: Node sets it; Next reads it before it loads its production server.
process.env.NODE_ENV = "production";
process.env.NEXT_TELEMETRY_DISABLED ??= "1";
/** The app believes CLIENT_ADDRESS_HEADER only when this mark says the front door set it. */
Object.defineProperty(globalThis, FRONT_DOOR_MARK, { value: true });

// The bundle is rebuilt first when a source changed since it was built (as bin/coffer does).
const rebuilt = await ensureCli();
if (rebuilt !== undefined) console.log(`coffer: ${rebuilt}; rebuilt the server bundle`);
/** @type {typeof import("../server/api/server-entry")} */
const api = createRequire(import.meta.url)(serverBundlePath);
// Before Next starts: its instrumentation.ts then finds the first user and the scheduler done.
await api.startServerServices((line) => console.log(`coffer: ${line}`));

const { default: next } = await import("next");
const app = next({ dev: false, dir: root, hostname: host, port });
const handle = app.getRequestHandler();
await app.prepare();

const server = http.createServer((req, res) => {
  const refusal = admit(/** @type {any} */ (req), config);
  if (refusal) {
    res.writeHead(refusal.status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
    res.end(refusal.body);
    return;
  }
  if (api.isApiPath(req.url)) {
    void api.serveApiRequest(req, res);
    return;
  }
  handle(req, res).catch((err) => {
    console.error("coffer: request failed:", err);
    if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
    res.end("internal server error\n");
  });
});
server.on("error", (err) => {
  console.error(`coffer: cannot listen on ${host}:${port}: ${err.message}`);
  process.exit(1);
});
server.listen(port, host, () => {
  console.log(`coffer: serving on http://${host.includes(":") ? `[${host}]` : host}:${port}/`);
});

for (const signal of /** @type {const} */ (["SIGINT", "SIGTERM"])) {
  process.on(signal, () => {
    server.close();
    process.exit(0);
  });
}
