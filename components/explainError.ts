/**
 * Turns an API error into plain words for the person at the console, keeping the engine's exact
 * message as the detail: lock conflicts say who holds what and since when, maintenance refusals
 * quote the admin's message. It reads the typed error the server sends (tRPC `data.coffer`,
 * server/api/error-data.ts), never the English of the message.
 */
import type { CofferErrorData } from "@/server/api/types";

export interface Explained {
  /** What happened, in plain words. */
  message: string;
  /** The API's own message, for support. */
  detail?: string;
  code?: string;
}

interface ErrorLike {
  message?: string;
  code?: string;
  data?: { code?: string; coffer?: CofferErrorData | null } | null;
}

function clock(epochMs: number): string {
  return new Date(epochMs).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

/** The typed engine error of a failed call, if the server sent one. */
export function cofferData(error: unknown): CofferErrorData | undefined {
  return (error as ErrorLike | null)?.data?.coffer ?? undefined;
}

export function explainError(error: unknown, now = Date.now()): Explained {
  const detail = error instanceof Error ? error.message : ((error as ErrorLike | null)?.message ?? String(error));
  const e = error as ErrorLike | null;
  const code = e?.data?.code ?? e?.code;
  const coffer = cofferData(error);
  if (coffer?.lock) {
    const holder = coffer.lock.holders[0];
    const who = holder?.task
      ? `the task “${holder.task.description}” started by ${holder.task.user}`
      : holder
        ? `another process (pid ${holder.pid})`
        : "another process";
    const kind = coffer.lock.kind ? `the ${coffer.lock.kind} lock` : "a lock";
    const shared = holder?.mode === "shared" ? " (shared)" : "";
    const since = holder ? `, since ${clock(holder.since)} (${Math.max(0, Math.round((now - holder.since) / 1000))} s)` : "";
    return { code, message: `It is in use: ${who} holds ${kind}${shared}${since}. Try again once it has finished.`, detail };
  }
  if (coffer?.maintenance) {
    const m = coffer.maintenance;
    const quote = m.message ? ` The administrator's message: “${m.message}”.` : "";
    return {
      code,
      message: `The datastore is in ${m.mode} maintenance, so this is refused until the mode is cleared.${quote}`,
      detail,
    };
  }
  if (coffer?.retryAfterSeconds !== undefined) {
    return { code, message: `Too busy right now. Try again in ${coffer.retryAfterSeconds} s.`, detail };
  }
  return { code, message: detail };
}

/** For components that show an Error: the plain message, with the detail appended when it differs. */
export function explainedText(error: unknown): string {
  const e = explainError(error);
  return e.detail && e.detail !== e.message ? `${e.message} (${e.detail})` : e.message;
}
