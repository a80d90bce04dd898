/**
 * How the console formats task times, log lines and file names. What a task is and how it
 * ended come from the server, in words (`description`, `outcome`: server/tasks/core/task-presentation.ts).
 */
export { formatDuration } from "@/server/datastore/model/durations";
export { TASK_TYPES } from "@/server/datastore/model/task-types";
export type { TaskOutcome, TaskOutcomeTone } from "@/server/api/types";

/** Local `YYYY-MM-DD HH:MM:SS` from epoch seconds (tasks are about "when did this run here"). */
export function formatLocalTime(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  if (Number.isNaN(d.getTime())) return "—";
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** PBS's download name (bug #4521): `task-<node>-<type>-<RFC 3339 start>.log`. */
export function taskLogFileName(task: { node: string; type: string; starttime: number }): string {
  const start = new Date(task.starttime * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
  return `task-${task.node}-${task.type}-${start}.log`;
}

/** A log line without its RFC 3339 time stamp (PBS strips it where `t[25..27] == ": "`). */
export function splitLogLine(line: string): { time?: string; text: string } {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)): (.*)$/s.exec(line);
  return m ? { time: m[1], text: m[2]! } : { text: line };
}

