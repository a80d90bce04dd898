// @ts-check
/**
 * Stands in for Next in page-process.test.ts, on the page process's real side (servePages), and
 * answers a few paths that show what the server passed on. `/crash` ends the process, as a page
 * server that dies would; with FAKE_PAGES_FAIL set it stops before it listens, every time.
 */
import { servePages } from "../page-process.mjs";

// A page server that cannot start (as Next without a build): it stops before it listens.
if (process.env.FAKE_PAGES_FAIL) process.exit(4);

/** @type {import("node:http").ServerResponse | undefined} */
let open;
servePages(async (req, res) => {
  if (req.url === "/crash") process.exit(3);
  if (req.url === "/stream") {
    // The rest comes when the client asks for it at /stream-end, so the client can see the
    // first part arrive while the answer is still open.
    res.writeHead(200, { "content-type": "text/plain" });
    res.write("first\n");
    open = res;
    return;
  }
  if (req.url === "/stream-end") {
    open?.end("second\n");
    res.end("ended\n");
    return;
  }
  const parts = /** @type {Buffer[]} */ ([]);
  for await (const part of req) parts.push(part);
  res.setHeader("set-cookie", ["a=1; Path=/", "b=2; Path=/"]);
  res.setHeader("keep-alive", "timeout=99");
  res.writeHead(201, { "content-type": "application/json" });
  res.end(JSON.stringify({ pid: process.pid, method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(parts).toString() }));
});
