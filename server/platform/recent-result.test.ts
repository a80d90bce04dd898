import { describe, expect, it } from "vitest";
import { recentResult } from "./recent-result";

describe("recentResult", () => {
  it("shares one computation among callers within the window and starts a new one after it", async () => {
    let clock = 1_000;
    const now = () => clock;
    let runs = 0;
    const compute = async () => ++runs;
    const first = recentResult("k1", 1000, compute, now);
    clock += 999;
    const second = recentResult("k1", 1000, compute, now);
    expect(second).toBe(first);
    expect(await second).toBe(1);
    clock += 1; // 1000 ms after the first start: too old
    expect(await recentResult("k1", 1000, compute, now)).toBe(2);
    expect(await recentResult("k2", 1000, compute, now)).toBe(3); // keys are separate
  });

  it("does not keep a failure: the next caller computes again", async () => {
    const now = () => 5_000;
    const failed = recentResult("k3", 1000, async () => {
      throw new Error("disk gone");
    }, now);
    await expect(failed).rejects.toThrow("disk gone");
    expect(await recentResult("k3", 1000, async () => "fresh", now)).toBe("fresh");
  });
});
