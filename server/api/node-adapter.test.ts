/**
 * The API on a real node:http server, as scripts/serve.mjs serves it (node-adapter.ts), against
 * the demo store: what Next used to do around the handlers (security headers, gzip, streaming,
 * the client going away) and what it never did (a limit on the request body).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession, createUser, grantRole, SESSION_COOKIE } from "../auth";
import { BackupNamespace } from "../datastore/model/names";
import { snapshotLockPath } from "../datastore/locking/lock-names";
import { acquireLock } from "../platform/file-lock";
import { DECLARED_LENGTH_HEADER } from "./download";
import { GZIP_INLINE_MAX_BYTES, GZIP_MIN_BYTES, MAX_BODY_BYTES, isApiPath, needsAbort, serveApiRequest } from "./node-adapter";
import { taskLogPath } from "../tasks/core/task-log";
import { formatUpid } from "../tasks/core/upid";
import path from "node:path";
import { caller, useDemoHome } from "./test-support";

useDemoHome();

let server: http.Server;
let port = 0;
let cookie = "";

beforeAll(async () => {
  await createUser("reader@pbs", { password: "password-1" });
  await grantRole({ path: "/datastore/demo", authId: "reader@pbs", role: "DatastoreReader" });
  cookie = `${SESSION_COOKIE}=${await createSession("reader@pbs")}`;
  server = http.createServer((req, res) => {
    if (isApiPath(req.url)) void serveApiRequest(req, res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One request on its own connection; the whole answer. */
function request(method: string, path: string, headers: Record<string, string | number> = {}, body?: Buffer | (() => AsyncIterable<Buffer>)): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method, path, agent: false, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (c: Buffer) => parts.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
      res.on("error", reject);
    });
    // The server may answer and close before a refused body is sent in full.
    req.on("error", (err: NodeJS.ErrnoException) => (err.code === "EPIPE" || err.code === "ECONNRESET" ? undefined : reject(err)));
    if (typeof body === "function") {
      void (async () => {
        for await (const part of body()) if (!req.write(part)) await new Promise((r) => req.once("drain", r));
        req.end();
      })().catch(() => undefined);
    } else req.end(body);
  });
}

const query = (procedure: string, input?: unknown) =>
  input === undefined ? `/api/trpc/${procedure}` : `/api/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}`;

describe("the API on the console's own HTTP server", () => {
  it("answers only the API's paths", () => {
    expect(["/api/trpc/datastore.list", "/api/trpc/a,b?batch=1", "/api/download?store=demo", "/api/download"].every(isApiPath)).toBe(true);
    expect(["/", "/api/trpc", "/api/downloads", "/datastores/demo", "/_next/static/x.js", undefined].some(isApiPath)).toBe(false);
  });

  it("tells the handler that the client went away only where it must: downloads, subscriptions, and what it cannot read", () => {
    expect(needsAbort("/api/download?store=demo")).toBe(true);
    expect(needsAbort("/api/trpc/task.follow?input=%7B%7D")).toBe(true);
    expect(needsAbort("/api/trpc/maintenance.activeOperations?input=%7B%7D")).toBe(true);
    expect(needsAbort("/api/trpc/no.such.procedure")).toBe(true);
    expect(needsAbort("/api/trpc/group.list,%ZZ?batch=1")).toBe(true);
    expect(needsAbort("/api/trpc/group.list?input=%7B%7D")).toBe(false);
    expect(needsAbort("/api/trpc/datastore.list,task.list?batch=1&input=%7B%7D")).toBe(false);
    expect(needsAbort("/api/trpc/move.startNamespace?batch=1")).toBe(false);
  });

  it("sends the security headers with every answer, a refusal too", async () => {
    for (const res of [await request("GET", query("datastore.list", undefined)), await request("GET", query("datastore.list", undefined), { cookie })]) {
      expect(res.headers["x-frame-options"]).toBe("DENY");
      expect(res.headers["content-security-policy"]).toMatch(/frame-ancestors 'none'/);
      expect(res.headers["x-content-type-options"]).toBe("nosniff");
    }
    expect((await request("GET", query("datastore.list", undefined))).status).toBe(401);
  });

  it("gzips answers from 1 KiB for clients that accept it, and sends the rest as they are", async () => {
    const input = { store: "demo", ns: "prod", group: { type: "vm", id: "200" } };
    const plain = await request("GET", query("snapshot.list", input), { cookie });
    expect(plain.status).toBe(200);
    expect(plain.headers["content-encoding"]).toBeUndefined();
    expect(Number(plain.headers["content-length"])).toBe(plain.body.length);
    expect(plain.body.length).toBeGreaterThanOrEqual(GZIP_MIN_BYTES);
    const zipped = await request("GET", query("snapshot.list", input), { cookie, "accept-encoding": "gzip, deflate" });
    expect(zipped.headers["content-encoding"]).toBe("gzip");
    expect(Number(zipped.headers["content-length"])).toBe(zipped.body.length);
    expect(zlib.gunzipSync(zipped.body).toString()).toBe(plain.body.toString());
    const small = await request("GET", query("auth.whoami", undefined), { cookie, "accept-encoding": "gzip" });
    expect(small.headers["content-encoding"]).toBeUndefined();
    expect(JSON.parse(small.body.toString()).result.data).toEqual({ authId: "reader@pbs", via: "session" });
  });

  it("gzips an answer over GZIP_INLINE_MAX_BYTES too, off the server's thread at zlib's default level", async () => {
    // A task log of the reader's own, long enough that its whole text is over the inline limit.
    const upid = formatUpid({ node: "localhost", pid: 4242, pstart: 77, taskId: 0, starttime: 1_700_000_000, workerType: "verify", workerId: "demo", authId: "reader@pbs" });
    const file = taskLogPath(upid);
    mkdirSync(path.dirname(file), { recursive: true });
    const lines = Array.from({ length: 6000 }, (_, i) => `2026-12-07T10:00:00+00:00: checked snapshot ${i} of 6000: vm/${100 + (i % 50)}/2026-12-0${1 + (i % 7)}T00:00:00Z`);
    writeFileSync(file, `${lines.join("\n")}\n2026-12-07T10:00:01+00:00: TASK OK\n`);
    const input = { upid, limit: 0 };
    const plain = await request("GET", query("task.log", input), { cookie });
    expect(plain.status).toBe(200);
    expect(plain.body.length).toBeGreaterThan(GZIP_INLINE_MAX_BYTES);
    const zipped = await request("GET", query("task.log", input), { cookie, "accept-encoding": "gzip" });
    expect(zipped.headers["content-encoding"]).toBe("gzip");
    expect(Number(zipped.headers["content-length"])).toBe(zipped.body.length);
    expect(zlib.gunzipSync(zipped.body).toString()).toBe(plain.body.toString());
    expect(JSON.parse(plain.body.toString()).result.data.total).toBe(6001);
    // The gzip header's XFL byte: 4 for the fastest level (the inline gzip of smaller answers), 0 for the default.
    expect(zipped.body[8]).toBe(0);
    const small = await request("GET", query("snapshot.list", { store: "demo", ns: "prod", group: { type: "vm", id: "200" } }), { cookie, "accept-encoding": "gzip" });
    expect(small.body[8]).toBe(4);
  });

  it("refuses a request body larger than the limit with 413 and says what the limit is, whether declared or not", async () => {
    const big = Buffer.alloc(MAX_BODY_BYTES + 1, 0x20);
    const headers = { cookie, "content-type": "application/json", origin: `http://127.0.0.1:${port}` };
    const declared = await request("POST", "/api/trpc/group.setNotes", headers, big);
    const chunked = await request("POST", "/api/trpc/group.setNotes", headers, async function* () {
      for (let sent = 0; sent <= MAX_BODY_BYTES; sent += 64 * 1024) yield Buffer.alloc(64 * 1024, 0x20);
    });
    for (const res of [declared, chunked]) {
      expect(res.status).toBe(413);
      expect(JSON.parse(res.body.toString()).error.json.message).toBe("the request body is larger than 2 MiB, the most the API accepts");
      expect(res.headers.connection).toBe("close");
    }
  });

  it("sends a download with its exact Content-Length, and never the header the route declares it in", async () => {
    const snap = (await caller().snapshot.list({ store: "demo", ns: "", group: { type: "ct", id: "101" } })).items.find((s) => s.finished)!;
    const path = `/api/download?${new URLSearchParams({ store: "demo", ns: "", type: "ct", id: "101", time: String(snap["backup-time"]), archive: "root.pxar.didx", path: "etc" })}`;
    const res = await request("GET", path, { cookie, "accept-encoding": "gzip" });
    expect(res.status).toBe(200);
    expect(res.headers["content-encoding"]).toBeUndefined();
    expect(res.headers[DECLARED_LENGTH_HEADER]).toBeUndefined();
    expect(Number(res.headers["content-length"])).toBe(res.body.length);
    expect(res.body.subarray(257, 262).toString()).toBe("ustar");
    const head = await request("HEAD", path, { cookie });
    expect(head.headers["content-length"]).toBe(res.headers["content-length"]);
    expect(head.body.length).toBe(0);
  });

  it("releases the snapshot when the client goes away in the middle of a download", async () => {
    const snap = (await caller().snapshot.list({ store: "demo", ns: "", group: { type: "vm", id: "100" } })).items.find((s) => s.finished)!;
    const ref = { type: "vm" as const, id: "100", time: snap["backup-time"] };
    const path = `/api/download?${new URLSearchParams({ store: "demo", ns: "", type: "vm", id: "100", time: String(ref.time), archive: "drive-scsi0.img.fidx" })}`;
    const firstBytes = await new Promise<{ length: number; received: number }>((resolve, reject) => {
      const req = http.get({ host: "127.0.0.1", port, path, agent: false, headers: { host: `127.0.0.1:${port}`, cookie } }, (res) => {
        res.once("data", (c: Buffer) => {
          // 16 MiB do not fit into the sockets' buffers: the server is still sending.
          resolve({ length: Number(res.headers["content-length"]), received: c.length });
          req.destroy();
        });
      });
      req.on("error", (err: NodeJS.ErrnoException) => (err.code === "ECONNRESET" ? undefined : reject(err)));
    });
    expect(firstBytes.length).toBe(16 * 1024 * 1024);
    expect(firstBytes.received).toBeLessThan(firstBytes.length);
    // The download held the snapshot shared; the exclusive lock waits until it lets go. Then
    // the store's read count goes back to 0 (the subscription says when).
    const lock = await acquireLock(snapshotLockPath("demo", BackupNamespace.root, ref), { mode: "exclusive", timeoutMs: 20_000 });
    await lock.release();
    for await (const counts of await caller().maintenance.activeOperations({ store: "demo" })) if (counts.read === 0) break;
  });

  it("streams server-sent events as they come (a subscription never ends on its own)", async () => {
    const first = await new Promise<string>((resolve, reject) => {
      const req = http.get(
        { host: "127.0.0.1", port, path: query("maintenance.activeOperations", { store: "demo" }), agent: false, headers: { host: `127.0.0.1:${port}`, cookie, accept: "text/event-stream", "sec-fetch-site": "same-origin" } },
        (res) => {
          expect(res.headers["content-type"]).toMatch(/^text\/event-stream/);
          expect(res.headers["content-length"]).toBeUndefined();
          let text = "";
          res.on("data", (c: Buffer) => {
            text += c.toString();
            const data = text.split("\n").find((l) => l.startsWith("data: ") && l.includes("read"));
            if (data) {
              resolve(data);
              req.destroy();
            }
          });
        },
      );
      req.on("error", (err: NodeJS.ErrnoException) => (err.code === "ECONNRESET" ? undefined : reject(err)));
    });
    expect(JSON.parse(first.slice("data: ".length))).toMatchObject({ read: 0, write: 0 });
  });
});
