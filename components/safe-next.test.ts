import { describe, expect, it } from "vitest";
import { DEFAULT_NEXT, safeNext } from "./safe-next";

const ORIGIN = "http://127.0.0.1:3000";

describe("safeNext", () => {
  it("keeps paths of this console, with their query and fragment", () => {
    expect(safeNext("/tasks", ORIGIN)).toBe("/tasks");
    expect(safeNext("/datastores/demo/content?ns=prod#x", ORIGIN)).toBe("/datastores/demo/content?ns=prod#x");
    expect(safeNext(`${ORIGIN}/tasks`, ORIGIN)).toBe("/tasks");
  });

  it("replaces anything that leaves the origin, however it is spelt", () => {
    for (const evil of [
      "//evil.example",
      "/\\evil.example",
      "\\\\evil.example",
      "/\\/evil.example",
      "https://evil.example/",
      "https:evil.example",
      "http:\\\\evil.example",
      "javascript:alert(1)",
      " //evil.example",
      "/\t/evil.example",
      "http://127.0.0.1:3001/tasks",
    ]) {
      expect(safeNext(evil, ORIGIN), evil).toBe(DEFAULT_NEXT);
    }
  });

  it("does not loop back to the login page, and has a default", () => {
    expect(safeNext("/login?next=/tasks", ORIGIN)).toBe(DEFAULT_NEXT);
    expect(safeNext(null, ORIGIN)).toBe(DEFAULT_NEXT);
    expect(safeNext("", ORIGIN)).toBe(DEFAULT_NEXT);
  });
});
