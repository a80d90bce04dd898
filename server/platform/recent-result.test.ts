import { describe, expect, it } from "vitest";
import { recentResult } from "./recent-result";

/** Lets the computations' own handlers run. */
const settled = () => new Promise<void>((r) => setImmediate(r));

describe("recentResult", () => {
  it("shares one computation among callers within the window and starts a new one after it", async () => {
    let clock = 1_000;
    const now = () => clock;
    let runs = 0;
    const compute = async () => ++runs;
    const first = recentResult("k1", { maxAgeMs: 1000 }, compute, now);
    clock += 999;
    const second = recentResult("k1", { maxAgeMs: 1000 }, compute, now);
    expect(second).toBe(first);
    expect(await second).toBe(1);
    clock += 1; // 1000 ms after the first start: too old
    expect(await recentResult("k1", { maxAgeMs: 1000 }, compute, now)).toBe(2);
    expect(await recentResult("k2", { maxAgeMs: 1000 }, compute, now)).toBe(3); // keys are separate
  });

  it("does not keep a failure: the next caller computes again", async () => {
    const now = () => 5_000;
    const failed = recentResult("k3", { maxAgeMs: 1000 }, async () => {
      throw new Error("disk gone");
    }, now);
    await expect(failed).rejects.toThrow("disk gone");
    expect(await recentResult("k3", { maxAgeMs: 1000 }, async () => "fresh", now)).toBe("fresh");
  });

  it("with a stale window, serves the last result while a newer computation runs, then the newer one", async () => {
    let clock = 10_000;
    const now = () => clock;
    const window = { maxAgeMs: 1000, staleMs: 5000 };
    let finish!: (v: string) => void;
    const slow = () => new Promise<string>((r) => (finish = r));
    expect(await recentResult("k4", window, async () => "first", now)).toBe("first");
    clock += 1000; // too old: a new computation starts, and the caller gets the last result now
    const during = recentResult("k4", window, slow, now);
    expect(await during).toBe("first");
    clock += 500; // the new one still runs: so does the answer
    expect(await recentResult("k4", window, slow, now)).toBe("first");
    finish("second");
    await settled();
    clock += 100;
    expect(await recentResult("k4", window, slow, now)).toBe("second"); // fresh again
  });

  it("waits for the new computation when the last result is older than the stale window", async () => {
    let clock = 20_000;
    const now = () => clock;
    const window = { maxAgeMs: 1000, staleMs: 5000 };
    expect(await recentResult("k5", window, async () => "old", now)).toBe("old");
    clock += 5000;
    expect(await recentResult("k5", window, async () => "new", now)).toBe("new");
  });

  it("serves nothing stale after a failure", async () => {
    let clock = 30_000;
    const now = () => clock;
    const window = { maxAgeMs: 1000, staleMs: 5000 };
    expect(await recentResult("k6", window, async () => "ok", now)).toBe("ok");
    clock += 1000;
    const failing = recentResult("k6", window, async () => {
      throw new Error("gone");
    }, now);
    expect(await failing).toBe("ok"); // the failure was not known yet
    await settled();
    clock += 10;
    await expect(recentResult("k6", window, async () => {
      throw new Error("still gone");
    }, now)).rejects.toThrow("still gone");
  });
});
