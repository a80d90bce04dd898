import { describe, expect, it } from "vitest";
import { isoDateProblem } from "./iso-date";

describe("isoDateProblem", () => {
  it("accepts YYYY-MM-DD calendar dates and an empty field", () => {
    expect(isoDateProblem("2026-12-05")).toBeUndefined();
    expect(isoDateProblem("2024-02-29")).toBeUndefined();
    expect(isoDateProblem(" 2026-01-31 ")).toBeUndefined();
    expect(isoDateProblem("")).toBeUndefined();
  });

  it("refuses other formats and says which one to use", () => {
    expect(isoDateProblem("12/05/2026")).toBe("use YYYY-MM-DD, for example 2026-01-31");
    expect(isoDateProblem("2026-1-5")).toBe("use YYYY-MM-DD, for example 2026-01-31");
  });

  it("refuses dates that do not exist", () => {
    expect(isoDateProblem("2025-02-29")).toMatch(/not a calendar date/);
    expect(isoDateProblem("2026-13-01")).toMatch(/not a calendar date/);
    expect(isoDateProblem("1969-12-31")).toMatch(/from 1970 on/);
  });
});
