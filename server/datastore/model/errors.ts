/**
 * One error class for the whole engine. `code` is stable (the API maps it to a TRPCError code,
 * the CLI to an exit status); the message reads the way PBS prints an anyhow chain with `{:#}`:
 * outermost context first, `outer: inner: root cause`.
 */
export type ErrorCode =
  | "BAD_REQUEST" // the input is invalid (names, paths, options)
  | "NOT_FOUND" // datastore, namespace, group, snapshot or file missing
  | "CONFLICT" // lock held, target exists, merge refused
  | "PRECONDITION_FAILED" // maintenance mode refuses the operation
  | "FORBIDDEN"
  | "UNAUTHORIZED"
  | "TOO_MANY_REQUESTS" // refused for now (login throttle, a full hashing pool); see retryAfterMs
  | "ABORTED" // the task was asked to stop
  | "INTERNAL"; // anything unexpected (I/O errors, corrupt data)

export class CofferError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = "CofferError";
  }
}

/** Holder of a lock as recorded next to it; `upid` is set when a worker task holds it. */
export interface LockHolder {
  pid: number;
  /** Field 22 of /proc/<pid>/stat: guards against pid reuse. */
  pstart: number;
  /** Epoch milliseconds when the holder took the lock. */
  since: number;
  mode: "shared" | "exclusive";
  upid?: string;
}

/** A lock could not be taken because someone else holds it. Always code CONFLICT. */
export class LockConflictError extends CofferError {
  readonly lockPath: string;
  readonly holders: LockHolder[];
  /** What the lock guards, in words (`backup group`, `snapshot`, `manifest`, `GC`), when known. */
  readonly lockKind: string | undefined;

  constructor(message: string, lockPath: string, holders: LockHolder[], options?: { cause?: unknown; lockKind?: string }) {
    super("CONFLICT", message, options);
    this.name = "LockConflictError";
    this.lockPath = lockPath;
    this.holders = holders;
    this.lockKind = options?.lockKind;
  }
}

/** A datastore refused an operation because of its maintenance mode. Always PRECONDITION_FAILED. */
export class MaintenanceError extends CofferError {
  readonly store: string;
  readonly mode: string;
  /** The administrator's message, if they left one. */
  readonly maintenanceMessage: string | undefined;

  constructor(message: string, store: string, mode: string, maintenanceMessage: string | undefined, options?: { cause?: unknown }) {
    super("PRECONDITION_FAILED", message, options);
    this.name = "MaintenanceError";
    this.store = store;
    this.mode = mode;
    this.maintenanceMessage = maintenanceMessage;
  }
}

/** A request refused for now; try again after `retryAfterMs`. Always TOO_MANY_REQUESTS. */
export class RetryLaterError extends CofferError {
  readonly retryAfterMs: number;

  constructor(message: string, retryAfterMs: number) {
    super("TOO_MANY_REQUESTS", message);
    this.name = "RetryLaterError";
    this.retryAfterMs = retryAfterMs;
  }
}

/** Describes holders in words: `held by task UPID:... (pid 4242) for 12 s`. */
export function describeHolders(holders: LockHolder[], now = Date.now()): string {
  if (holders.length === 0) return "held by another process";
  return holders
    .map((h) => {
      const who = h.upid ? `task ${h.upid} (pid ${h.pid})` : `pid ${h.pid}`;
      const secs = Math.max(0, Math.round((now - h.since) / 1000));
      return `held${h.mode === "shared" ? " (shared)" : ""} by ${who} for ${secs} s`;
    })
    .join(", ");
}

export function isCofferError(err: unknown): err is CofferError {
  return err instanceof CofferError;
}

/** The message of any thrown value. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * Adds context to an error passing through, keeping its code (and, through `cause`, the
 * original typed error, found again with `findCause`).
 */
export function withContext(context: string, err: unknown): CofferError {
  return withMessage(err, `${context}: ${errorMessage(err)}`);
}

/** A new error with `message` that keeps the code and class of `err` (and `err` as its cause). */
export function withMessage(err: unknown, message: string): CofferError {
  const code = err instanceof CofferError ? err.code : codeOfNodeError(err);
  if (err instanceof LockConflictError) {
    return new LockConflictError(message, err.lockPath, err.holders, { cause: err, lockKind: err.lockKind });
  }
  if (err instanceof MaintenanceError) {
    return new MaintenanceError(message, err.store, err.mode, err.maintenanceMessage, { cause: err });
  }
  return new CofferError(code, message, { cause: err });
}

/** Runs `fn`, wrapping any error with `context`. */
export async function context<T>(ctx: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw withContext(ctx, err);
  }
}

/** Walks the cause chain for an error of the given class. */
export function findCause<T extends Error>(err: unknown, cls: abstract new (...args: never[]) => T): T | undefined {
  let cur: unknown = err;
  for (let i = 0; cur && i < 32; i++) {
    if (cur instanceof cls) return cur;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

function codeOfNodeError(err: unknown): ErrorCode {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT") return "NOT_FOUND";
  return "INTERNAL";
}

export function isErrno(err: unknown, code: string): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === code;
}

export const badRequest = (msg: string) => new CofferError("BAD_REQUEST", msg);
export const notFound = (msg: string) => new CofferError("NOT_FOUND", msg);
export const conflict = (msg: string) => new CofferError("CONFLICT", msg);
