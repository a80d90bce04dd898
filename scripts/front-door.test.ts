import { describe, expect, it } from "vitest";
import { CLIENT_ADDRESS_HEADER as APP_HEADER, FRONT_DOOR_MARK as APP_MARK } from "../server/api/init";
import {
  CLIENT_ADDRESS_HEADER,
  FRONT_DOOR_MARK,
  admit,
  allowedHosts,
  clientAddress,
  parseTrustedProxies,
} from "./front-door.mjs";

const local = allowedHosts({ host: "127.0.0.1", port: 3000 });

function request(headers: Record<string, string>, peer = "127.0.0.1") {
  return { headers: { ...headers } as Record<string, string | string[] | undefined>, socket: { remoteAddress: peer } };
}

describe("the front door", () => {
  it("agrees with the app on the header and the mark", () => {
    expect(APP_HEADER).toBe(CLIENT_ADDRESS_HEADER);
    expect(APP_MARK).toBe(FRONT_DOOR_MARK);
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
