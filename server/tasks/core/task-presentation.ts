/**
 * How tasks are named and explained to people: a sentence from the worker type and id, and what
 * a final status means in plain words. Computed here, on the server, and sent with every task
 * list item and status (`description`, `outcome`), so that the console never parses worker ids
 * or the English of an exit status itself.
 */
import { formatDuration } from "../../datastore/model/durations";
import { TASK_TYPE_LABELS } from "../../datastore/model/task-types";

const nsLabel = (ns: string) => (ns === "" ? "root" : `'${ns}'`);

/**
 * A sentence for a task, from its type and worker id: `Move group vm/100 in 'a' to 'b' (demo)`,
 * `Garbage collection (demo)`. Worker ids PBS's way: `store:ns/type/id:target` for a group
 * move, `store:ns:target` for a namespace move, `store[:ns[/type/id[/time]]]` for verify.
 */
export function taskDescription(type: string, id: string | undefined): string {
  const label = TASK_TYPE_LABELS[type] ?? type.replace(/[_-]+/g, " ").replace(/^./, (c) => c.toUpperCase());
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
