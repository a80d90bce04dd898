/**
 * The task process side of a worker task (`coffer task run <kind> --args <json>`): creates the
 * UPID from this process's pid and start time, opens the log, enters the active list,
 * announces the UPID, runs the kind, writes the final line and moves itself to the archive
 * (reference pbs-engine.md 8). SIGTERM (from `task stop`) and SIGINT become an abort request.
 */
import { CofferError, errorMessage, isCofferError } from "../../datastore/model/errors";
import { setLockOwnerTask } from "../../platform/file-lock";
import type { Announcement } from "./announce";
import "../kinds/kinds";
import { DEFAULT_AUTH_ID, getTaskKind, parseTaskArgs, type TaskContext } from "./registry";
import { TaskLog } from "./task-log";
import { lowerProcessPriority, taskNice } from "./task-priority";
import { addActiveTask, updateActiveTasks } from "./task-list";
import type { TaskState } from "./task-state";
import { createUpid, formatUpid } from "./upid";

export const ABORT_MESSAGE = "abort requested - aborting task";

export interface RunWorkerOptions {
  authId?: string;
  /** Called once: with the UPID when the task runs, or with the error that kept it from starting. */
  announce(msg: Announcement): void;
}

/**
 * Runs one task in this process; resolves with the exit status: 0 (OK or warnings), 1 (the
 * task failed), 2 (it could not start: unknown kind, bad arguments; announced as an error).
 */
export async function runWorker(kindType: string, argsJson: string, opts: RunWorkerOptions): Promise<number> {
  // Listen first: a stop that arrives while the task starts up must not kill it without a
  // final line (Node's default for SIGTERM).
  const abort = new AbortController();
  let log: TaskLog | undefined;
  let abortLogged = false;
  const logAbort = () => {
    if (log && !abortLogged && abort.signal.aborted) {
      abortLogged = true;
      log.info("received abort request ...");
    }
  };
  const onSignal = () => {
    if (!abort.signal.aborted) abort.abort(new CofferError("ABORTED", ABORT_MESSAGE));
    logAbort();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);

  let upid: string;
  let args: unknown;
  let kind;
  try {
    kind = getTaskKind(kindType);
    args = parseTaskArgs(kind, parseJsonArgs(argsJson));
    // Before any work: the server's requests come first on a busy machine (task-priority.ts).
    lowerProcessPriority(taskNice());
    upid = formatUpid(createUpid(kind.type, kind.workerId?.(args), opts.authId ?? kind.authId ?? DEFAULT_AUTH_ID));
    setLockOwnerTask(upid);
    log = TaskLog.create(upid);
    await addActiveTask(upid);
  } catch (err) {
    // A log without its final line would read as a task that died; say why it never ran.
    log?.finishError(err);
    opts.announce({ error: errorMessage(err), code: isCofferError(err) ? err.code : "INTERNAL" });
    return 2;
  }
  opts.announce({ upid });
  logAbort();

  const theLog = log;
  const onCrash = (err: unknown) => {
    // PBS catches worker panics the same way: the task ends with an error line, not silence.
    theLog.finishError(`worker panicked: ${errorMessage(err)}`);
    process.exit(1);
  };
  process.on("uncaughtException", onCrash);
  process.on("unhandledRejection", onCrash);

  const ctx: TaskContext = {
    upid,
    log: theLog,
    signal: abort.signal,
    checkAbort() {
      if (abort.signal.aborted) throw new CofferError("ABORTED", ABORT_MESSAGE);
    },
  };
  let state: TaskState;
  try {
    await kind.run(ctx, args);
    state = theLog.finishOk();
  } catch (err) {
    state = theLog.finishError(err);
  }
  try {
    await updateActiveTasks({ upid, state });
  } catch {
    // The final line is written; the next reader of the lists archives the task from it.
  }
  process.off("uncaughtException", onCrash);
  process.off("unhandledRejection", onCrash);
  process.off("SIGTERM", onSignal);
  process.off("SIGINT", onSignal);
  return state.state === "error" ? 1 : 0;
}

function parseJsonArgs(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CofferError("BAD_REQUEST", `task arguments are not valid JSON (${errorMessage(err)}): ${text}`);
  }
}
