import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DECLARED_LENGTH_HEADER as APP_LENGTH_HEADER } from "../server/api/download";
import { CLIENT_ADDRESS_HEADER as APP_HEADER, FRONT_DOOR_MARK as APP_MARK } from "../server/api/init";
import {
  CLIENT_ADDRESS_HEADER,
  DECLARED_LENGTH_HEADER,
  FRONT_DOOR_MARK,
  admit,
  allowedHosts,
  clientAddress,
  parseTrustedProxies,
  passDeclaredLength,
} from "./front-door.mjs";

const local = allowedHosts({ host: "127.0.0.1", port: 3000 });

function request(headers: Record<string, string>, peer = "127.0.0.1") {
  return { headers: { ...headers } as Record<string, string | string[] | undefined>, socket: { remoteAddress: peer } };
}

describe("the front door", () => {
  it("agrees with the app on the header and the mark", () => {
    expect(APP_HEADER).toBe(CLIENT_ADDRESS_HEADER);
    expect(APP_MARK).toBe(FRONT_DOOR_MARK);
    expect(APP_LENGTH_HEADER).toBe(DECLARED_LENGTH_HEADER);
  });

  it("answers only to its own host names (DNS rebinding), and to configured public origins", () => {
    expect([...local].sort()).toEqual(["127.0.0.1:3000", "[::1]:3000", "localhost:3000"]);
    const refusal = admit(request({ host: "evil.example:3000" }), { trustedProxies: new Set(), allowedHosts: local });
    expect(refusal?.status).toBe(421);
    expect(refusal?.body).toMatch(/does not answer to the host name 'evil\.example:3000'.*COFFER_ALLOWED_ORIGINS/);
    expect(admit(request({}), { trustedProxies: new Set(), allowedHosts: local })?.status).toBe(421);
    const proxied = allowedHosts({ host: "127.0.0.1", port: 3000, allowedOrigins: ["https://backup.example.com"] });
    expect(proxied.has("backup.example.com")).toBe(true);
    const wide = allowedHosts({ host: "0.0.0.0", port: 8007, interfaces: ["192.0.2.7", "fe80::1"], hostname: "nas.example.com" });
    expect([...wide].sort()).toEqual(
      ["127.0.0.1:8007", "192.0.2.7:8007", "[::1]:8007", "[fe80::1]:8007", "localhost:8007", "nas.example.com:8007", "nas:8007"].sort(),
    );
    expect(() => allowedHosts({ host: "127.0.0.1", port: 1, allowedOrigins: ["not a url"] })).toThrow(/COFFER_ALLOWED_ORIGINS/);
  });

  it("drops forwarded headers from untrusted peers and overwrites the client address header", () => {
    const req = request(
      { host: "127.0.0.1:3000", "x-forwarded-for": "10.0.0.1", "x-forwarded-host": "evil", "x-forwarded-proto": "https", "x-real-ip": "1.1.1.1", forwarded: "for=1.1.1.1", [CLIENT_ADDRESS_HEADER]: "6.6.6.6" },
      "::ffff:192.0.2.50",
    );
    expect(admit(req, { trustedProxies: new Set(), allowedHosts: local })).toBeUndefined();
    expect(req.headers).toEqual({ host: "127.0.0.1:3000", [CLIENT_ADDRESS_HEADER]: "192.0.2.50" });
  });

  it("believes a trusted proxy: the right-most address it was not told by another trusted proxy", () => {
    const trusted = parseTrustedProxies("127.0.0.1, 10.0.0.2");
    expect(clientAddress("127.0.0.1", "6.6.6.6, 192.0.2.9", trusted)).toBe("192.0.2.9");
    expect(clientAddress("127.0.0.1", "192.0.2.9, 10.0.0.2", trusted)).toBe("192.0.2.9");
    expect(clientAddress("127.0.0.1", undefined, trusted)).toBe("127.0.0.1");
    expect(clientAddress("127.0.0.1", "not-an-ip", trusted)).toBe("127.0.0.1");
    expect(clientAddress("192.0.2.1", "10.0.0.1", trusted)).toBe("192.0.2.1");
    const req = request({ host: "127.0.0.1:3000", "x-forwarded-for": "192.0.2.9", "x-forwarded-proto": "https" });
    admit(req, { trustedProxies: trusted, allowedHosts: local });
    expect(req.headers).toMatchObject({ "x-forwarded-proto": "https", [CLIENT_ADDRESS_HEADER]: "192.0.2.9" });
    expect(() => parseTrustedProxies("proxy.local")).toThrow(/'proxy\.local' is not an IP address/);
  });
});

/**
 * The server answers like Next answers a streamed route: headers set one by one, no
 * Content-Length, headers flushed before the first chunk, the body in pieces, and
 * `res.destroy()` when the body fails. `?declare=` is what the route declares, `?send=` how
 * many bytes it really sends, `?encoding=` a Content-Encoding set on the way.
 */
describe("the front door on a real HTTP server: declared download sizes", () => {
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      passDeclaredLength(req, res);
      const url = new URL(req.url ?? "/", "http://x");
      const declared = url.searchParams.get("declare");
      const send = Number(url.searchParams.get("send") ?? declared ?? 0);
      res.statusCode = 200;
      res.setHeader("content-type", "application/octet-stream");
      if (declared !== null) res.setHeader(DECLARED_LENGTH_HEADER, declared);
      const encoding = url.searchParams.get("encoding");
      if (encoding) res.setHeader("content-encoding", encoding);
      res.flushHeaders();
      let left = send;
      const piece = () => {
        if (left <= 0) {
          if (url.searchParams.has("fail")) res.destroy(new Error("bad chunk"));
          else res.end();
          return;
        }
        const n = Math.min(left, 64 * 1024);
        left -= n;
        res.write(Buffer.alloc(n, 0x61), piece);
      };
      piece();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** Headers, the bytes received, and whether the response ended cleanly. */
  function get(path: string): Promise<{ headers: http.IncomingHttpHeaders; received: number; complete: boolean }> {
    return new Promise((resolve, reject) => {
      http
        .get(`${base}${path}`, { agent: false }, (res) => {
          let received = 0;
          res.on("data", (c: Buffer) => (received += c.length));
          const done = () => resolve({ headers: res.headers, received, complete: res.complete });
          res.on("end", done);
          res.on("error", done);
          res.on("aborted", done);
        })
        .on("error", reject);
    });
  }

  it("turns a download's declared size into Content-Length, and the body is that long", async () => {
    const size = 300 * 1024 + 7;
    const res = await get(`/api/download?declare=${size}`);
    expect(res.headers["content-length"]).toBe(String(size));
    expect(res.headers["transfer-encoding"]).toBeUndefined();
    expect(res.headers[DECLARED_LENGTH_HEADER]).toBeUndefined();
    expect(res).toMatchObject({ received: size, complete: true });
    expect((await get("/api/download?declare=0")).headers["content-length"]).toBe("0");
  });

  it("believes the declaration only from the download route", async () => {
    const res = await get("/api/trpc/x?declare=10");
    expect(res.headers["content-length"]).toBeUndefined();
    expect(res.headers["transfer-encoding"]).toBe("chunked");
    expect(res.received).toBe(10);
  });

  it("sets no length on an encoded body or from a value that is not a byte count, and never lets the private header out", async () => {
    for (const path of ["/api/download?declare=10&encoding=gzip", "/api/download?declare=10abc&send=10", "/api/download?declare=-1&send=10", "/api/download?declare=1e3&send=10"]) {
      const res = await get(path);
      expect(res.headers["content-length"], path).toBeUndefined();
      expect(res.headers[DECLARED_LENGTH_HEADER], path).toBeUndefined();
      expect(res).toMatchObject({ received: 10, complete: true });
    }
  });

  it("a body that fails short of its declared size reaches the client as an incomplete response, not a short file", async () => {
    const res = await get("/api/download?declare=200000&send=70000&fail=1");
    expect(res.headers["content-length"]).toBe("200000");
    expect(res.complete).toBe(false);
    expect(res.received).toBeLessThan(200000);
  });
});
