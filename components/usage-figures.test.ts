import { describe, expect, it } from "vitest";
import { usageFigures } from "./usage-figures";

const GiB = 1024 ** 3;

describe("usageFigures", () => {
  it("measures used against used + available, as df does, not against the size", () => {
    // ext4 with 5% reserved: 100 GiB, 50 GiB used, 45 GiB available to users.
    const u = usageFigures({ total: 100 * GiB, used: 50 * GiB, avail: 45 * GiB });
    expect(u.percent).toBe(53); // df: 50 / 95 = 52.6% -> 53%; used / size would say 50%
    expect(u.fraction).toBeCloseTo(52.63, 2);
    expect(u.text).toBe("50.0 GiB used, 45.0 GiB available, 100.0 GiB total (53%)");
  });

  it("shows 100% when nothing is left to write, though reserved blocks remain", () => {
    expect(usageFigures({ total: 100 * GiB, used: 95 * GiB, avail: 0 }).percent).toBe(100);
  });

  it("rounds up as df does, and shows 0% only when nothing is used", () => {
    expect(usageFigures({ total: 1000, used: 1, avail: 999 }).percent).toBe(1);
    expect(usageFigures({ total: 1000, used: 0, avail: 1000 }).percent).toBe(0);
  });

  it("copes with an empty or odd file system", () => {
    expect(usageFigures({ total: 0, used: 0, avail: 0 })).toMatchObject({ fraction: 0, percent: 0 });
  });
});
