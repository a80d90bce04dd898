/**
 * The API on the console's own `node:http` server (scripts/serve.mjs), without Next. Next's
 * machinery around a route handler cost more than the API's own work: the same handler answered
 * 2.5 times as many requests without it (docs/benchmarks.md, the soak). Next serves the pages;
 * `/api/trpc/*` and `/api/download` come here after the front door (scripts/front-door.mjs)
 * has checked the Host and set the client's address. The Next routes stay for `next dev`.
 *
 * What Next did for these routes and this module does instead:
 * - the request as a fetch `Request`, whose `signal` aborts when the client goes away for the
 *   calls that need to know (a task log subscription ends, a download releases its snapshot
 *   lock; see needsAbort);
 * - a request body of at most MAX_BODY_BYTES (Next set no limit; a call needs a few KiB);
 * - the answer streamed when it is a stream (server-sent events, downloads), otherwise sent
 *   whole, gzipped from GZIP_MIN_BYTES for clients that accept it (small answers on this thread);
 * - the security headers of every answer (security-headers.ts), and `Content-Length` for a
 *   download from the size the route declares (download.ts).
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { once } from "node:events";
import { promisify } from "node:util";
import zlib from "node:zlib";
import { DECLARED_LENGTH_HEADER, handleDownloadRequest } from "./download";
import { callsNeedAbort, handleTrpcRequest, refuse } from "./http-handler";
import { SECURITY_HEADERS } from "./security-headers";

const gzip = promisify(zlib.gzip);

export const TRPC_ENDPOINT = "/api/trpc";
export const DOWNLOAD_PATH = "/api/download";
/** A batch of 20 calls with 64 KiB of notes each fits; nothing the console sends comes close. */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;
/** Answers this large or larger are gzipped (as Next did). */
export const GZIP_MIN_BYTES = 1024;
/**
 * Answers up to this size are gzipped on the server's thread, at level 1 with an 8 KiB window.
 * Through Node's thread pool a gzip of a 3-15 KB page cost 100-300 us of CPU (a new stream and
 * its state for each answer, and the hand-offs), on the thread itself 25-30 us; JSON pages lose
 * 3-4 % of compression to level 1 (bench/soak.ts, docs/benchmarks.md). Larger answers go
 * through the pool at the default level, so one large answer does not hold up the others.
 */
export const GZIP_INLINE_MAX_BYTES = 256 * 1024;
const GZIP_INLINE: zlib.ZlibOptions = { level: 1, windowBits: 13, memLevel: 7 };

const SECURITY = Object.fromEntries(SECURITY_HEADERS.map((h) => [h.key.toLowerCase(), h.value]));

function pathnameOf(url: string | undefined): string {
  return (url ?? "").split("?", 1)[0] ?? "";
}

/** Whether this module answers the request (the rest goes to Next). */
export function isApiPath(url: string | undefined): boolean {
  const p = pathnameOf(url);
  return p === DOWNLOAD_PATH || p.startsWith(`${TRPC_ENDPOINT}/`);
}

/** Answers one API request. Never rejects: a failure becomes a 500 (or a cut stream) and a log line. */
export async function serveApiRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const gone = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) gone.abort(new Error("the client closed the connection"));
  });
  try {
    const request = await toFetchRequest(req, needsAbort(req.url) ? gone.signal : undefined);
    const response =
      request instanceof Response
        ? request
        : pathnameOf(req.url) === DOWNLOAD_PATH
          ? await handleDownloadRequest(request)
          : await handleTrpcRequest(request, TRPC_ENDPOINT);
    await send(req, res, response, gone.signal);
  } catch (err) {
    if (gone.signal.aborted) return;
    console.error("coffer: API request failed:", err);
    if (!res.headersSent) {
      res.writeHead(500, { ...SECURITY, "content-type": "text/plain; charset=utf-8" }).end("internal server error\n");
    } else {
      res.destroy(); // mid-stream: the client sees a broken answer, never a short one that looks whole
    }
  }
}

/**
 * Whether the handler must learn that the client went away: a download releases its snapshot,
 * a subscription stops following. Queries and mutations run to their end either way, and a
 * fetch Request made with a signal of ours costs undici about 27 us more (it links the signal
 * and registers it for finalization): some 3 % of a listing's CPU, for nothing.
 */
export function needsAbort(url: string | undefined): boolean {
  const p = pathnameOf(url);
  return p === DOWNLOAD_PATH || !p.startsWith(`${TRPC_ENDPOINT}/`) || callsNeedAbort(p.slice(TRPC_ENDPOINT.length + 1));
}

/** The fetch Request for the handlers, or the refusal of a body that is too large. */
async function toFetchRequest(req: IncomingMessage, signal: AbortSignal | undefined): Promise<Request | Response> {
  const method = req.method ?? "GET";
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  let body: Uint8Array<ArrayBuffer> | undefined;
  if (method !== "GET" && method !== "HEAD") {
    const read = await readBody(req, MAX_BODY_BYTES);
    if (read === undefined) {
      const refusal = refuse(413, "PAYLOAD_TOO_LARGE", `the request body is larger than ${MAX_BODY_BYTES / 1024 / 1024} MiB, the most the API accepts`);
      refusal.headers.set("connection", "close");
      return refusal;
    }
    body = read;
  }
  // The Host was checked by the front door; the scheme is what this server speaks (a proxy's
  // X-Forwarded-Proto counts only from a trusted proxy, auth-middleware.ts).
  return new Request(`http://${req.headers.host ?? "localhost"}${req.url ?? "/"}`, { method, headers, body, signal });
}

/**
 * The body, or undefined as soon as it grows past `limit` (a declared Content-Length says so
 * before any byte is read). The rest of a refused body is read and dropped, and the connection
 * closed after the refusal, so the client can see it.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array<ArrayBuffer> | undefined> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        parts.push(chunk);
        return;
      }
      detach();
      req.resume();
      resolve(undefined);
    };
    const onEnd = () => {
      detach();
      resolve(new Uint8Array(Buffer.concat(parts, size)));
    };
    const onError = (err: Error) => {
      detach();
      reject(err);
    };
    const detach = () => {
      req.off("data", onData).off("end", onEnd).off("error", onError);
    };
    req.on("data", onData).on("end", onEnd).on("error", onError);
  });
}

async function send(req: IncomingMessage, res: ServerResponse, response: Response, gone: AbortSignal): Promise<void> {
  const headers: OutgoingHttpHeaders = { ...SECURITY };
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  const declared = headers[DECLARED_LENGTH_HEADER];
  delete headers[DECLARED_LENGTH_HEADER];
  // A download's exact size lets the browser show progress: sent as Content-Length when it is a
  // byte count and the body goes as it is. A body that ends short of it is cut (res.destroy), so
  // the browser reports a failed download, never a short file.
  const length = typeof declared === "string" && /^[0-9]{1,16}$/.test(declared) && headers["content-encoding"] === undefined ? declared : undefined;

  const body = response.body;
  if (body === null || req.method === "HEAD") {
    await body?.cancel();
    if (length !== undefined) headers["content-length"] = length;
    res.writeHead(response.status, headers).end();
    return;
  }
  const streamed = declared !== undefined || String(headers["content-type"] ?? "").startsWith("text/event-stream");
  if (!streamed) {
    let out = Buffer.from(await response.arrayBuffer());
    const transform = !/\bno-transform\b/.test(String(headers["cache-control"] ?? ""));
    if (transform) headers.vary = headers.vary ? `${String(headers.vary)}, accept-encoding` : "accept-encoding";
    if (transform && out.length >= GZIP_MIN_BYTES && /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""))) {
      out = out.length <= GZIP_INLINE_MAX_BYTES ? zlib.gzipSync(out, GZIP_INLINE) : await gzip(out);
      headers["content-encoding"] = "gzip";
    }
    headers["content-length"] = out.length;
    res.writeHead(response.status, headers).end(out);
    return;
  }
  if (length !== undefined) headers["content-length"] = length;
  res.writeHead(response.status, headers);
  res.flushHeaders();
  const reader = body.getReader();
  const cancel = () => void reader.cancel(gone.reason).catch(() => undefined);
  gone.addEventListener("abort", cancel, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || gone.aborted) break;
      if (!res.write(value)) await once(res, "drain", { signal: gone });
    }
    if (!gone.aborted) res.end();
  } finally {
    gone.removeEventListener("abort", cancel);
  }
}
