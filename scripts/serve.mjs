#!/usr/bin/env node
// @ts-check
/**
 * Serves the console's production build (`next build` first; `npm start` does both). Every
 * request passes the front door first (scripts/front-door.mjs): the Host header must name this
 * console, forwarded headers count only from trusted proxies, and the app learns the client's
 * real address for login throttling. Then the API (`/api/trpc/*`, `/api/download`) is answered
 * here, from the server bundle (dist/cli/api-server.cjs, server/api/node-adapter.ts: 2.5 times
 * the requests per second of the same handler behind Next), and the pages by Next in a process
 * of its own (scripts/page-process.mjs, page-server.mjs), which this one starts and stops.
 *
 * Environment: HOST (default 127.0.0.1), PORT (default 3000), COFFER_HOME,
 * COFFER_ALLOWED_ORIGINS (public origins behind a proxy), COFFER_TRUSTED_PROXIES (addresses of
 * reverse proxies whose X-Forwarded-* headers are believed).
 */
import http from "node:http";
import { createRequire } from "node:module";
import { ensureCli, serverBundlePath } from "./cli-bundle.mjs";
import { FRONT_DOOR_MARK, admit, allowedHosts, parseTrustedProxies } from "./front-door.mjs";
import { startPageProcess } from "./page-process.mjs";

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

// @ts-expect-error: Node sets it. The API reads it when the bundle loads (tRPC leaves stack
// traces out of errors in production), and the page server inherits it, as Next requires.
process.env.NODE_ENV = "production";
process.env.NEXT_TELEMETRY_DISABLED ??= "1";
/** The app believes CLIENT_ADDRESS_HEADER only when this mark says the front door set it. */
Object.defineProperty(globalThis, FRONT_DOOR_MARK, { value: true });

// The bundle is rebuilt first when a source changed since it was built (as bin/coffer does).
const rebuilt = await ensureCli();
if (rebuilt !== undefined) console.log(`coffer: ${rebuilt}; rebuilt the server bundle`);
/** @type {typeof import("../server/api/server-entry")} */
const api = createRequire(import.meta.url)(serverBundlePath);
// Before the page server starts: its instrumentation.ts then finds the first user made (and it
// runs no scheduler of its own: page-process.mjs sets COFFER_SCHEDULER=0).
await api.startServerServices((line) => console.log(`coffer: ${line}`));

const pages = startPageProcess({ host, port, log: (line) => console.log(`coffer: ${line}`) });

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
  pages.forward(req, res);
});
server.on("error", (err) => {
  console.error(`coffer: cannot listen on ${host}:${port}: ${err.message}`);
  void pages.stop().finally(() => process.exit(1));
});
server.listen(port, host, () => {
  console.log(`coffer: serving on http://${host.includes(":") ? `[${host}]` : host}:${port}/`);
});

for (const signal of /** @type {const} */ (["SIGINT", "SIGTERM"])) {
  process.on(signal, () => {
    server.close();
    void pages.stop().finally(() => process.exit(0));
  });
}
