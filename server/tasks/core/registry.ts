/**
 * Task kinds: what a worker type runs. Kinds are registered in one module, `kinds.ts`, which
 * both the starting side (to check arguments at once) and the task process (to run them)
 * import, so the two always agree on what a kind accepts.
 */
import { z } from "zod";

import { CofferError } from "../../datastore/model/errors";
import type { EngineLog } from "../../datastore/model/log";

/** The task log as a task sees it: the EngineLog the engine writes to, plus progress lines. */
export interface TaskLogger extends EngineLog {
  /** A progress line (an info line, as PBS has no separate level). */
  progress(message: string): void;
  /** An error that does not end the task; counted as a warning (PBS's ERROR level). */
  error(message: string): void;
  /** Warnings logged so far; the final line is `TASK WARNINGS: n` when non-zero. */
  readonly warnCount: number;
}

export interface TaskContext {
  readonly upid: string;
  readonly log: TaskLogger;
  /** Aborted (reason: CofferError ABORTED) when someone asks the task to stop. */
  readonly signal: AbortSignal;
  /**
   * Throws CofferError("ABORTED", "abort requested - aborting task") once a stop was asked
   * for; long loops call it between steps (PBS check_abort).
   */
  checkAbort(): void;
}

export interface TaskKind<A = unknown> {
  /** The worker type in the UPID, e.g. `move-group`, `garbage_collection` (PBS names). */
  type: string;
  /** Validates the JSON arguments (in the starter and again in the task process). */
  args: z.ZodType<A>;
  /** The UPID's worker id, e.g. `<store>:<ns>:<group>`; none when undefined. */
  workerId?: (args: A) => string | undefined;
  /** Auth id in the UPID when the starter gives none (default `root@pam`, the CLI's identity). */
  authId?: string;
  run(ctx: TaskContext, args: A): Promise<void>;
}

export const DEFAULT_AUTH_ID = "root@pam";

// `any`: each kind has its own argument type; parseTaskArgs ties args to their kind at run time.
const kinds = new Map<string, TaskKind<any>>();

/**
 * Registers a task kind. A second registration of the same type replaces the first: Next.js
 * dev reloads `kinds.ts` on change, and the new definition must win.
 */
export function registerTaskKind<A>(kind: TaskKind<A>): void {
  if (!/^[^/:\s]+$/.test(kind.type)) {
    throw new CofferError("BAD_REQUEST", `illegal characters in worker type '${kind.type}' (it must be non-empty, without '/', ':' or white space)`);
  }
  kinds.set(kind.type, kind);
}

/** The registered kind; BAD_REQUEST naming the known kinds otherwise. */
export function getTaskKind(type: string): TaskKind<unknown> {
  const kind = kinds.get(type);
  if (!kind) {
    throw new CofferError("BAD_REQUEST", `unknown task kind '${type}'; known kinds: ${[...kinds.keys()].sort().join(", ") || "(none)"}`);
  }
  return kind;
}

export function taskKindTypes(): string[] {
  return [...kinds.keys()].sort();
}

/** Validates arguments for a kind; BAD_REQUEST that says what was wrong. */
export function parseTaskArgs<A>(kind: TaskKind<A>, raw: unknown): A {
  const r = kind.args.safeParse(raw);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => `${i.path.length ? i.path.join(".") : "(arguments)"}: ${i.message}`).join("; ");
  throw new CofferError("BAD_REQUEST", `invalid arguments for task kind '${kind.type}': ${issues}`);
}
