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

describe("datastore.status", () => {
  it("reports disk usage, counts of non-empty groups by type, and no GC or verify yet", async () => {
    const s = await caller().datastore.status({ store: "demo" });
    expect(s.total).toBeGreaterThan(0);
    expect(s.used! + s.avail!).toBeLessThanOrEqual(s.total!);
    // The demo: 11 vm groups of which dev/vm/650 is empty, 8 ct, 4 host.
    expect(s.counts).toMatchObject({ vm: { groups: 10 }, ct: { groups: 8 }, host: { groups: 4 } });
    expect(s.counts!.vm.snapshots).toBeGreaterThan(s.counts!.vm.groups);
    expect(s["gc-status"]).toMatchObject({ upid: null });
    expect(s.lastVerify).toBeUndefined();
    expect(s.maintenance).toBeUndefined();
  });

  it("keeps sizes but leaves out the content while offline, and says why", async () => {
    coffer(env.home(), "maintenance", "set", "demo", "offline", "--message", "disk swap");
    try {
      const s = await caller().datastore.status({ store: "demo" });
      expect(s.maintenance).toEqual({ type: "offline", message: "disk swap" });
      expect(s.total).toBeGreaterThan(0);
      expect(s.counts).toBeUndefined();
      expect(s.unavailable).toMatch(/datastore 'demo' is unavailable/);
    } finally {
      coffer(env.home(), "maintenance", "clear", "demo");
    }
  });

  it("answers NOT_FOUND for an unknown store", async () => {
    expect(await codeOf(caller().datastore.status({ store: "no-such-store" }))).toBe("NOT_FOUND");
  });
});

describe("datastore.usageHistory and usage", () => {
  it("samples every store once the server asks, and lists the samples", async () => {
    const history = await caller().datastore.usageHistory({ store: "demo" });
    expect(history.length).toBeGreaterThanOrEqual(1);
    const last = history[history.length - 1]!;
    expect(last.total).toBeGreaterThan(0);
    expect(Math.abs(last.time - Date.now() / 1000)).toBeLessThan(60);
    const usage = await caller().datastore.usage();
    expect(usage.find((u) => u.store === "demo")).toMatchObject({ total: expect.any(Number), used: expect.any(Number) });
  });

  it("answers NOT_FOUND for an unknown store", async () => {
    expect(await codeOf(caller().datastore.usageHistory({ store: "no-such-store" }))).toBe("NOT_FOUND");
    expect(await codeOf(caller().datastore.gcHistory({ store: "no-such-store" }))).toBe("NOT_FOUND");
  });

  it("has an empty GC history before any GC", async () => {
    expect(await caller().datastore.gcHistory({ store: "demo" })).toEqual([]);
  });
});
