import { describe, expect, it } from "vitest";
import { parseTaskView, taskFilterQuery } from "./task-links";
import { NO_FILTERS } from "./TaskFilters";

describe("task links", () => {
  it("round-trips the filters and the open task", () => {
    const filters = { type: "gc", results: ["ok", "error"] as const, store: "demo", since: "2026-01-01", until: "2026-01-31", runningOnly: true };
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(taskFilterQuery({ ...filters, results: [...filters.results] }))) if (v) params.set(k, v);
    params.set("upid", "UPID:host:00000001:00000002:00000003:00000004:garbage_collection:demo:root@pam:");
    const view = parseTaskView(params);
    expect(view.filters).toEqual({ ...filters, results: ["ok", "error"] });
    expect(view.upid).toBe("UPID:host:00000001:00000002:00000003:00000004:garbage_collection:demo:root@pam:");
  });

  it("drops what does not parse", () => {
    const view = parseTaskView(new URLSearchParams("result=ok,bogus&since=2026-13-01&until=yesterday&store=../x&upid=nope"));
    expect(view).toEqual({ upid: null, filters: { ...NO_FILTERS, results: ["ok"] } });
  });
});
