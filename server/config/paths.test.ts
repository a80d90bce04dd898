import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cofferHome, paths } from "./paths";

const saved = process.env.COFFER_HOME;
afterEach(() => {
  if (saved === undefined) delete process.env.COFFER_HOME;
  else process.env.COFFER_HOME = saved;
});

describe("COFFER_HOME", () => {
  it("follows every change of the variable, normalised, though an absolute value is resolved once", () => {
    process.env.COFFER_HOME = "/srv/coffer-a/../coffer-b/";
    expect(cofferHome()).toBe("/srv/coffer-b");
    expect(paths.locks("demo")).toBe("/srv/coffer-b/run/locks/demo");
    process.env.COFFER_HOME = "/srv/other";
    expect(cofferHome()).toBe("/srv/other");
    process.env.COFFER_HOME = "/srv/coffer-a/../coffer-b/";
    expect(paths.etc()).toBe("/srv/coffer-b/etc");
  });

  it("resolves a relative value against the working directory, and .coffer when unset", () => {
    process.env.COFFER_HOME = "state/home";
    expect(cofferHome()).toBe(path.join(process.cwd(), "state/home"));
    delete process.env.COFFER_HOME;
    expect(cofferHome()).toBe(path.join(process.cwd(), ".coffer"));
  });
});
