/**
 * The Tasks page in the address bar: `/tasks?upid=UPID:...` opens that task's viewer, and the
 * filters travel as `type`, `result` (comma-separated), `store`, `since`, `until` (YYYY-MM-DD)
 * and `running=1`, so a reload, a shared link and back/forward keep them. What does not parse
 * is dropped (the server checks a UPID again when the viewer asks for it).
 */
import { isoDateProblem } from "./iso-date";
import { NO_FILTERS, type TaskFilterValues, type TaskResult } from "./TaskFilters";

const RESULTS: readonly TaskResult[] = ["ok", "warning", "error", "unknown"];

export interface TaskView {
  filters: TaskFilterValues;
  upid: string | null;
}

const date = (s: string | null) => (s !== null && s !== "" && isoDateProblem(s) === undefined ? s : "");

export function parseTaskView(params: URLSearchParams): TaskView {
  const upid = params.get("upid");
  const results = (params.get("result") ?? "").split(",").filter((r): r is TaskResult => RESULTS.includes(r as TaskResult));
  return {
    upid: upid && /^UPID:[^\s]{1,500}$/.test(upid) ? upid : null,
    filters: {
      ...NO_FILTERS,
      type: (params.get("type") ?? "").slice(0, 64),
      results: [...new Set(results)],
      store: /^[A-Za-z0-9_][A-Za-z0-9._-]{0,31}$/.test(params.get("store") ?? "") ? params.get("store")! : "",
      since: date(params.get("since")),
      until: date(params.get("until")),
      runningOnly: params.get("running") === "1",
    },
  };
}

/** The query parameters for `filters` (undefined removes one). */
export function taskFilterQuery(f: TaskFilterValues): Record<string, string | undefined> {
  return {
    type: f.type || undefined,
    result: f.results.length ? f.results.join(",") : undefined,
    store: f.store || undefined,
    since: f.since || undefined,
    until: f.until || undefined,
    running: f.runningOnly ? "1" : undefined,
  };
}
