/**
 * How the console names and explains tasks. Pure functions (the task list, the quick list and
 * the Task Viewer share them, and they are unit-tested).
 */

/** Enough of a task to describe it: PBS's list item or status. */
export interface TaskLike {
  worker_type?: string;
  type?: string;
  worker_id?: string;
  id?: string;
}

const TYPE_LABELS: Record<string, string> = {
  "move-group": "Move group",
  "move-namespace": "Move namespace",
  garbage_collection: "Garbage collection",
  verify: "Verify",
  verify_group: "Verify group",
  verify_snapshot: "Verify snapshot",
  verificationjob: "Verification job",
  prune: "Prune",
  prunejob: "Prune job",
  backup: "Backup",
  reader: "Restore",
  syncjob: "Sync job",
  "delete-datastore": "Remove datastore",
  "debug-sleep": "Debug sleep",
  "debug-write-hold": "Debug write hold",
};

/** The known worker types, for the type filter's suggestions. */
export const TASK_TYPES = Object.keys(TYPE_LABELS);

const nsLabel = (ns: string) => (ns === "" ? "root" : `'${ns}'`);

/**
 * A sentence for a task, from its type and worker id: `Move group vm/100 in 'a' to 'b' (demo)`,
 * `Garbage collection (demo)`. Worker ids PBS's way: `store:ns/type/id:target` for a group
 * move, `store:ns:target` for a namespace move, `store[:ns[/type/id[/time]]]` for verify.
 */
export function taskDescription(task: TaskLike): string {
  const type = task.worker_type ?? task.type ?? "task";
  const id = task.worker_id ?? task.id;
  const label = TYPE_LABELS[type] ?? type.replace(/[_-]+/g, " ").replace(/^./, (c) => c.toUpperCase());
  if (!id) return label;
  const parts = id.split(":");
  if (type === "move-group" && parts.length === 3) {
    const [store, path, target] = parts as [string, string, string];
    const slash = path.split("/");
    const group = slash.slice(-2).join("/");
    const ns = slash.slice(0, -2).join("/");
    return `${label} ${group} in ${nsLabel(ns)} to ${nsLabel(target)} (${store})`;
  }
  if (type === "move-namespace" && parts.length === 3) {
    const [store, ns, target] = parts as [string, string, string];
    return `${label} ${nsLabel(ns)} into ${nsLabel(target)} (${store})`;
  }
  if ((type === "prune" || type === "prunejob") && parts.length === 3) {
    const [store, ns, group] = parts as [string, string, string];
    return `${label} ${group} in ${nsLabel(ns)} (${store})`;
  }
  if (parts.length === 1) return `${label} (${id})`;
  return `${label} ${parts.slice(1).join(":")} (${parts[0]})`;
}

/** `42 s`, `3 min 5 s`, `2 h 3 min`, `1 d 4 h`: a duration people read at a glance. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "—";
  const s = Math.floor(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

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

export type TaskOutcomeTone = "running" | "success" | "warning" | "danger" | "neutral";

export interface TaskOutcome {
  tone: TaskOutcomeTone;
  /** One or two words for a badge: `Running`, `OK`, `Warnings`, `Error`, `Stopped`, `Refused`. */
  label: string;
  /** A sentence in plain words; absent where the label says it all. */
  explanation?: string;
}

const MAINTENANCE_REFUSAL = /datastore '([^']+)' is unavailable: (read-only|offline) maintenance mode: (.*)$/;
const LOCK_CONFLICT = /unable to acquire ([\w -]*?lock)\b.*?: (held (?:\(shared\) )?by (.+?) for (\d+) s)/;
const ABORT = "abort requested - aborting task";

/**
 * What a task's status means, in plain words: maintenance refusals quote the admin's message,
 * lock conflicts name the holder and for how long it has held the lock.
 */
export function taskOutcome(status: { status: "running" | "stopped"; exitstatus?: string } | undefined): TaskOutcome {
  if (!status || status.status === "running") return { tone: "running", label: "Running" };
  const exit = status.exitstatus ?? "unknown";
  if (exit === "OK") return { tone: "success", label: "OK" };
  const warnings = /^WARNINGS: (\d+)$/.exec(exit);
  if (warnings) {
    const n = Number(warnings[1]);
    return { tone: "warning", label: "Warnings", explanation: `Finished with ${n} warning${n === 1 ? "" : "s"}: see the log for what needs attention.` };
  }
  if (exit === "unknown") {
    return {
      tone: "neutral",
      label: "Unknown",
      explanation: "The task's process ended without writing a final status (it was killed, or the machine restarted).",
    };
  }
  if (exit === ABORT || exit.endsWith(`: ${ABORT}`)) {
    return { tone: "neutral", label: "Stopped", explanation: "Stopped on request before it finished." };
  }
  const maintenance = MAINTENANCE_REFUSAL.exec(exit);
  if (maintenance) {
    const [, store, mode, message] = maintenance;
    const what = mode === "read-only" ? "read-only maintenance, which refuses changes" : "offline maintenance, which refuses all access";
    return {
      tone: "warning",
      label: "Refused",
      explanation: `Datastore '${store}' is in ${what}.${message ? ` The administrator's message: "${message}".` : ""} Run it again once maintenance has ended.`,
    };
  }
  const lock = LOCK_CONFLICT.exec(exit);
  if (lock) {
    const [, lockName, , holder, secs] = lock;
    return {
      tone: "warning",
      label: "Refused",
      explanation: `Another operation holds the ${lockName}: ${holder}, for ${formatDuration(Number(secs))}. Try again once it has finished.`,
    };
  }
  return { tone: "danger", label: "Error" };
}
