/**
 * The console's API without Next: a bare `node:http` server that hands every `/api/trpc/...`
 * request to the same handler the Next route uses (server/api/http-handler.ts), gzips as Next
 * does, and answers 404 to everything else. Not a product server (no front door, no pages, no
 * scheduler): `bench/soak.ts --server bare` runs it to measure what Next's per-request
 * machinery costs under the same load.
 *
 *   PORT=3390 node --import tsx bench/support/bare-api.ts
 */
import http from "node:http";
import { promisify } from "node:util";
import zlib from "node:zlib";
import { handleTrpcRequest } from "../../server/api/http-handler";

const gzip = promisify(zlib.gzip);
const port = Number(process.env.PORT ?? "3390");
const host = "127.0.0.1";

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

async function serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  if (!req.url?.startsWith("/api/trpc/")) {
    res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    return;
  }
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
  }
  const body = req.method === "POST" ? new Uint8Array(await readBody(req)) : undefined;
  const response = await handleTrpcRequest(new Request(`http://${req.headers.host}${req.url}`, { method: req.method, headers, body }));
  let out = Buffer.from(await response.arrayBuffer());
  const outHeaders: http.OutgoingHttpHeaders = {};
  response.headers.forEach((v, k) => {
    if (k !== "set-cookie") outHeaders[k] = v;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) outHeaders["set-cookie"] = cookies;
  // Next compresses answers of 1 KiB and more for clients that accept gzip.
  if (out.length >= 1024 && /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""))) {
    out = await gzip(out);
    outHeaders["content-encoding"] = "gzip";
  }
  outHeaders["content-length"] = out.length;
  res.writeHead(response.status, outHeaders).end(out);
}

http
  .createServer((req, res) => {
    serve(req, res).catch((err: unknown) => {
      console.error("bare-api: request failed:", err);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  })
  .listen(port, host, () => console.log(`bare-api: serving on http://${host}:${port}/`));

// A clean exit, so that `--cpu-prof` (the soak's `--profile`) writes its profile.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => process.exit(0));
