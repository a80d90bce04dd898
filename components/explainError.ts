/**
 * Turns an API error into plain words for the person at the console, keeping the engine's exact
 * message as the detail: lock conflicts say who holds what and since when, maintenance refusals
 * quote the admin's message.
 */
export interface Explained {
  /** What happened, in plain words. */
  message: string;
  /** The API's own message, for support. */
  detail?: string;
  code?: string;
}

const HOLDER = /held( \(shared\))? by (task (UPID:\S+) \(pid (\d+)\)|pid (\d+)) for (\d+) s/;
const LOCK_OF = /unable to acquire (\w+(?: \w+)*?) lock/;

function describeTask(upid: string): string {
  // UPID:node:pid:pstart:task:starttime:type:id:user:
  const parts = upid.split(":");
  const type = parts[6];
  const user = parts[8];
  return type ? `a ${type} task${user ? ` started by ${user}` : ""}` : "a task";
}

function sinceClock(seconds: number): string {
  const d = new Date(Date.now() - seconds * 1000);
  return d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

export function explainError(error: unknown): Explained {
  const detail = error instanceof Error ? error.message : String(error);
  const code = (error as { data?: { code?: string } } | null)?.data?.code ?? (error as { code?: string } | null)?.code;
  const held = HOLDER.exec(detail);
  if (held) {
    const who = held[3] ? describeTask(held[3]) : `another process (pid ${held[5]})`;
    const secs = Number(held[6]);
    const what = LOCK_OF.exec(detail)?.[1] ?? "a lock";
    const kind = what === "a lock" ? what : `the ${what} lock`;
    return {
      code,
      message: `It is in use: ${who} holds ${kind}${held[1] ? " (shared)" : ""}, since ${sinceClock(secs)} (${secs} s). Try again once it has finished.`,
      detail,
    };
  }
  const maintenance = /is unavailable: (read-only|offline|\S+) maintenance mode(?:: (.*))?$/.exec(detail);
  if (code === "PRECONDITION_FAILED" && maintenance) {
    const quote = maintenance[2] ? ` The administrator's message: “${maintenance[2]}”.` : "";
    return {
      code,
      message: `The datastore is in ${maintenance[1]} maintenance, so this is refused until the mode is cleared.${quote}`,
      detail,
    };
  }
  return { code, message: detail };
}

/** For components that show an Error: the plain message, with the detail appended when it differs. */
export function explainedText(error: unknown): string {
  const e = explainError(error);
  return e.detail && e.detail !== e.message ? `${e.message} (${e.detail})` : e.message;
}
