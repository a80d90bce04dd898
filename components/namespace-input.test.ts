import { describe, expect, it } from "vitest";
import { namespaceNameProblem, namespacePathProblem, targetFromText } from "./namespace-input";

describe("namespace fields", () => {
  it("accepts what the engine accepts", () => {
    expect(namespacePathProblem("")).toBeUndefined();
    expect(namespacePathProblem("prod/eu/db")).toBeUndefined();
    expect(namespacePathProblem("a/b/c/d/e/f/g")).toBeUndefined();
  });

  it("says what is allowed instead of the engine's terse texts", () => {
    expect(namespacePathProblem("a//b")).toBe("Separate the names with single slashes, with none at the start or the end.");
    expect(namespacePathProblem("/a")).toBe("Separate the names with single slashes, with none at the start or the end.");
    expect(namespacePathProblem("a/b/c/d/e/f/g/h")).toBe("Namespaces go at most 7 levels deep; this path has 8.");
    expect(namespacePathProblem("a/-x")).toBe("'-x' is not a valid name: use letters, digits, _ . - (not starting with . or -), at most 32 characters.");
    expect(namespaceNameProblem("x".repeat(33))).toMatch(/at most 32 characters\.$/);
    expect(namespaceNameProblem("")).toBe("Enter a name.");
  });

  it("reads a move target: empty is not chosen, / is the root", () => {
    expect(targetFromText("")).toBeUndefined();
    expect(targetFromText("  ")).toBeUndefined();
    expect(targetFromText("/")).toBe("");
    expect(targetFromText(" archive ")).toBe("archive");
  });
});
