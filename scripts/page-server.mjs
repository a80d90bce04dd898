#!/usr/bin/env node
// @ts-check
/**
 * The console's pages: Next's production server, in a process of its own. scripts/serve.mjs
 * starts it (page-process.mjs), passes it every request that is not the API once the front door
 * has admitted it, and stops it. Nothing else should start it.
 *
 * Why a process of its own: in the API's process, Next cost a fifth of the CPU of every API
 * request (docs/benchmarks.md, soak). Its AsyncLocalStorage turns on promise hooks for every
 * promise in the process, and its modules make every full garbage collection longer.
 *
 * Environment (set by page-process.mjs): COFFER_PAGE_SOCKET, the Unix socket to listen on; HOST
 * and PORT, the console's public address, for Next's own links; COFFER_SCHEDULER=0, since the
 * API's process runs the job scheduler.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { FRONT_DOOR_MARK } from "./front-door.mjs";
import { servePages } from "./page-process.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

// @ts-expect-error: Node sets it; Next reads it before it loads its production server.
process.env.NODE_ENV = "production";
process.env.NEXT_TELEMETRY_DISABLED ??= "1";
// Every request here came through the front door in serve.mjs, which set the client's address.
Object.defineProperty(globalThis, FRONT_DOOR_MARK, { value: true });

const { default: next } = await import("next");
const app = next({ dev: false, dir: root, hostname: process.env.HOST || "127.0.0.1", port: Number(process.env.PORT || "3000") });
const handle = app.getRequestHandler();
await app.prepare();
servePages(handle);
