import { describe, expect, it } from "vitest";
import { emptyForm, formOf, formProblems, jobOptions } from "./job-form";

describe("job form", () => {
  it("turns a filled prune form into PBS options, dropping what was left empty", () => {
    const f = { ...emptyForm("prune"), id: "tidy", schedule: " sat 02:30 ", ns: "prod", maxDepth: "1", keep: { "keep-last": "3", "keep-daily": "" } };
    expect(jobOptions("prune", f)).toEqual({
      set: { schedule: "sat 02:30", ns: "prod", "max-depth": 1, "keep-last": 3 },
      remove: ["comment", "disable", "keep-hourly", "keep-daily", "keep-weekly", "keep-monthly", "keep-yearly"],
    });
  });

  it("round-trips a verify job through the form", () => {
    const job = { id: "chk", store: "s1", schedule: "daily", "ignore-verified": false, "outdated-after": 30, disable: true };
    const f = formOf(job);
    expect(f).toMatchObject({ id: "chk", schedule: "daily", ignoreVerified: false, outdatedAfter: "30", disable: true });
    expect(jobOptions("verify", f).set).toEqual({ schedule: "daily", "ignore-verified": false, "outdated-after": 30, disable: true });
  });

  it("names the fields it can see are wrong", () => {
    const f = { ...emptyForm("prune"), schedule: "", keep: { "keep-last": "0" } };
    expect(formProblems("prune", f)).toEqual({
      schedule: "A prune job needs a schedule, e.g. daily or sat 02:30.",
      "keep-last": "Keep last: enter a whole number of at least 1, or leave it empty.",
    });
    expect(formProblems("verify", { ...emptyForm("verify"), outdatedAfter: "1.5" })).toEqual({ outdatedAfter: "Enter a whole number of days, or leave it empty." });
  });
});
