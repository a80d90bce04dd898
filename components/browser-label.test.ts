import { describe, expect, it } from "vitest";
import { browserLabel } from "./browser-label";

describe("browserLabel", () => {
  it("names common browsers and systems from a User-Agent", () => {
    expect(browserLabel("Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0")).toBe("Firefox 140 on Linux");
    expect(browserLabel("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36 Edg/141.0")).toBe(
      "Edge 141 on Windows",
    );
    expect(browserLabel("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/150.0.0.0 Safari/537.36")).toBe(
      "Chrome 150 on Linux",
    );
    expect(browserLabel("Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1")).toBe(
      "Safari 18 on iOS",
    );
  });

  it("shows an unknown agent as it is (shortened), and says when there is none", () => {
    expect(browserLabel("curl/8.5.0")).toBe("curl/8.5.0");
    expect(browserLabel("x".repeat(100))).toBe(`${"x".repeat(57)}…`);
    expect(browserLabel(undefined)).toBe("Unknown browser");
  });
});
