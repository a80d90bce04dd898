/**
 * How a task ended, and its text form in the final log line and the task lists (reference
 * pbs-engine.md 8.2, 8.3; PBS TaskState).
 */
import { CofferError } from "../../datastore/model/errors";

export type TaskState =
  | { state: "ok"; endtime: number }
  | { state: "warning"; count: number; endtime: number }
  | { state: "error"; message: string; endtime: number }
  | { state: "unknown"; endtime: number };

/** The values of the task list's `statusfilter` (PBS TaskStateType). */
export type TaskStateType = TaskState["state"];

/** `OK`, `WARNINGS: n`, `unknown`, or the error message itself (no `ERROR:` prefix, as PBS). */
export function taskStateText(s: TaskState): string {
  switch (s.state) {
    case "ok":
      return "OK";
    case "warning":
      return `WARNINGS: ${s.count}`;
    case "error":
      return s.message;
    case "unknown":
      return "unknown";
  }
}

/**
 * Parses a status text (PBS TaskState::from_endtime_and_message). Any other non-empty text is
 * an error message; a leading `ERROR: ` (the final log line's form) is stripped.
 */
export function parseTaskState(text: string, endtime: number): TaskState {
  if (text === "unknown") return { state: "unknown", endtime };
  if (text === "OK") return { state: "ok", endtime };
  if (text.startsWith("WARNINGS: ")) {
    const n = text.slice("WARNINGS: ".length);
    if (!/^[0-9]+$/.test(n)) throw new CofferError("BAD_REQUEST", `unable to parse task status '${text}': the warning count is not a number`);
    return { state: "warning", count: Number(n), endtime };
  }
  if (text !== "") {
    return { state: "error", message: text.startsWith("ERROR: ") ? text.slice("ERROR: ".length) : text, endtime };
  }
  throw new CofferError("BAD_REQUEST", "unable to parse task status '': it is empty");
}

/** The text after `TASK ` in the final log line: `OK`, `WARNINGS: n`, `ERROR: msg`. */
export function finalLineText(s: TaskState): string {
  return s.state === "error" ? `ERROR: ${s.message}` : taskStateText(s);
}

/** A status text kept to one line, since the lists and the log are line-based. */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, " ").trim();
}
