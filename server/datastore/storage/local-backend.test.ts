import path from "node:path";
import { describe, expect, it } from "vitest";
import { LocalBackend } from "./local-backend";
import type { ChunkBackend } from "./backend";

/** absolute() never touches the chunk store. */
const noChunks = {} as ChunkBackend;

describe("LocalBackend.absolute", () => {
  const base = "/srv/store";
  const backend = new LocalBackend(base, noChunks);

  // The fast path concatenates; every form it might see must come out as path.join makes it.
  it("agrees with path.join for clean and unclean relative paths", () => {
    for (const rel of [
      "vm",
      "ns/a/vm/100/2024-01-01T00:00:00Z",
      "a/b/",
      "a//b",
      "./a",
      "a/./b",
      "a/.",
      ".",
      "a/..b",
      "..a",
      ".chunks/0000",
      "a/b..",
    ]) {
      expect(backend.absolute(rel), rel).toBe(path.join(base, rel));
    }
    expect(backend.absolute("")).toBe(base);
  });

  it("normalises the base once, as path.join would", () => {
    const odd = new LocalBackend("/srv//store/./", noChunks);
    expect(odd.absolute("vm/100")).toBe("/srv/store/vm/100");
    expect(new LocalBackend("/", noChunks).absolute("vm")).toBe("/vm");
  });

  it("refuses every path that leaves the datastore", () => {
    for (const rel of ["..", "../x", "a/../../x", "a/..", "/etc/passwd", "a\0b"]) {
      expect(() => backend.absolute(rel), JSON.stringify(rel)).toThrow(/refusing path outside the datastore/);
    }
  });
});
