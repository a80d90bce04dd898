// @ts-check
/**
 * A server process for page-process.test.ts: starts the fake page server through
 * startPageProcess, prints the socket directory and the page server's pid once it is ready,
 * then waits to be killed (the test kills it outright, as an OOM kill or `kill -9` would).
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startPageProcess } from "../page-process.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const pages = startPageProcess({ host: "127.0.0.1", port: 1, log: () => undefined, script: path.join(here, "fake-page-server.mjs") });
await pages.whenReady();
console.log(JSON.stringify({ dir: pages.socketDir, child: pages.pid() }));
setInterval(() => undefined, 1 << 30);
