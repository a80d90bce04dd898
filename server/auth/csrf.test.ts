import { describe, expect, it } from "vitest";
import { checkSameOrigin } from "./csrf";
import { thrown } from "./test-support";

const h = (init: Record<string, string>) => new Headers({ host: "console.local:8080", ...init });

describe("checkSameOrigin", () => {
  it("lets same-origin mutations and subscriptions through", () => {
    expect(() => checkSameOrigin(h({ origin: "http://console.local:8080" }), "POST")).not.toThrow();
    expect(() => checkSameOrigin(h({ origin: "https://console.local:8080", "sec-fetch-site": "same-origin" }), "mutation")).not.toThrow();
    expect(() => checkSameOrigin(h({ "sec-fetch-site": "same-origin" }), "subscription")).not.toThrow();
    expect(() => checkSameOrigin(h({ referer: "http://console.local:8080/datastores/st1" }), "DELETE")).not.toThrow();
  });

  it("refuses cross-site mutations and subscriptions, whichever header tells", () => {
    const cases: Array<Record<string, string>> = [
      { origin: "https://evil.example" },
      { origin: "null" },
      { origin: "http://console.local:9999" },
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site", origin: "http://console.local:8080" },
      { referer: "https://evil.example/page" },
    ];
    for (const init of cases) {
      for (const method of ["POST", "mutation", "subscription"]) {
        const err = thrown(() => checkSameOrigin(h(init), method));
        expect(err.code, JSON.stringify(init)).toBe("FORBIDDEN");
        expect(err.message).toMatch(/^cross-site request refused: /);
      }
    }
  });

  it("does not check queries or safe HTTP methods", () => {
    for (const method of ["GET", "HEAD", "OPTIONS", "query"]) {
      expect(() => checkSameOrigin(h({ origin: "https://evil.example" }), method)).not.toThrow();
    }
  });

  it("allows a request without Origin, Referer and Sec-Fetch-Site only with token auth", () => {
    expect(() => checkSameOrigin(h({}), "POST", { auth: "token" })).not.toThrow();
    expect(thrown(() => checkSameOrigin(h({}), "POST", { auth: "session" })).message).toBe(
      "cross-site request refused: no Origin, Referer or Sec-Fetch-Site header",
    );
    expect(thrown(() => checkSameOrigin(h({}), "mutation")).code).toBe("FORBIDDEN");
    // Token auth does not excuse a cross-site origin.
    expect(thrown(() => checkSameOrigin(h({ origin: "https://evil.example" }), "POST", { auth: "token" })).code).toBe("FORBIDDEN");
  });

  it("accepts the proxy's forwarded host and configured origins", () => {
    const behindProxy = new Headers({ host: "127.0.0.1:3000", "x-forwarded-host": "backup.example.com", origin: "https://backup.example.com" });
    expect(() => checkSameOrigin(behindProxy, "POST")).not.toThrow();
    const rewritten = new Headers({ host: "127.0.0.1:3000", origin: "https://backup.example.com" });
    expect(thrown(() => checkSameOrigin(rewritten, "POST")).code).toBe("FORBIDDEN");
    expect(() => checkSameOrigin(rewritten, "POST", { allowedOrigins: ["https://backup.example.com"] })).not.toThrow();
  });
});
