import path from "node:path";
import { describe, expect, it } from "vitest";
import { caller, codeOf, coffer, useDemoHome } from "../test-support";

const env = useDemoHome();

describe("datastore.list", () => {
  it("lists the demo store with its path and no maintenance mode", async () => {
    const list = await caller().datastore.list();
    const demo = list.find((d) => d.name === "demo");
    expect(demo).toBeDefined();
    expect(demo!.path).toBe(path.join(env.home(), "datastores", "demo"));
    expect(demo!["maintenance-mode"]).toBeUndefined();
  });
});

describe("datastore.get", () => {
  it("returns one store's config", async () => {
    const demo = await caller().datastore.get({ store: "demo" });
    expect(demo.name).toBe("demo");
  });

  it("answers NOT_FOUND for a store that is not configured", async () => {
    expect(await codeOf(caller().datastore.get({ store: "no-such-store" }))).toBe("NOT_FOUND");
  });

  it("answers BAD_REQUEST for a name that cannot be a datastore", async () => {
    expect(await codeOf(caller().datastore.get({ store: "x" }))).toBe("BAD_REQUEST");
    expect(await codeOf(caller().datastore.get({ store: "../etc" }))).toBe("BAD_REQUEST");
  });
});

describe("maintenance mode as the API reports it", () => {
  it("shows the mode and message, lets reads through in read-only, refuses them when offline", async () => {
    coffer(env.home(), "maintenance", "set", "demo", "read-only", "--message", "disk swap");
    try {
      const demo = (await caller().datastore.list()).find((d) => d.name === "demo")!;
      expect(demo["maintenance-mode"]).toEqual({ type: "read-only", message: "disk swap" });
      // Listing is a read operation, which read-only maintenance allows (PBS 6.1).
      await expect(caller().group.list({ store: "demo", ns: "" })).resolves.toMatchObject({ items: expect.any(Array) });

      coffer(env.home(), "maintenance", "set", "demo", "offline");
      const refused = caller().namespace.list({ store: "demo" });
      await expect(refused).rejects.toMatchObject({ code: "PRECONDITION_FAILED" });
      await expect(caller().namespace.list({ store: "demo" })).rejects.toThrow(/datastore 'demo' is unavailable/);
    } finally {
      coffer(env.home(), "maintenance", "clear", "demo");
    }
    await expect(caller().namespace.list({ store: "demo" })).resolves.toBeInstanceOf(Array);
  });
});
