/**
 * How a command that runs a task behaves (DESIGN.md 9, as proxmox-backup-client does it): start
 * the task in its own process, print `UPID:...` first, then the log live (times stripped), and
 * exit non-zero when the task fails. Ctrl-C aborts the task for commands that ask for it
 * (moves), a second Ctrl-C stops waiting; otherwise Ctrl-C only stops following.
 */
import { errorMessage } from "../datastore/model/errors";
import { followTaskLog } from "../tasks/core/follow";
import { startTask, stopTask } from "../tasks/core/runner";
import { parseLogLine } from "../tasks/core/task-log";
import { taskStatus } from "../tasks/core/task-status";
import { LineBatcher, printError, printJson, type OutputFormat } from "./output";

export interface RunTaskCommandOptions {
  /** Ctrl-C asks the task to abort (and keeps following to its end). */
  abortOnInterrupt: boolean;
  /** The UPID's auth id; the CLI acts as root@pam by default. */
  authId?: string;
}

/** A log line without its time stamp, as the PBS client prints task logs. */
export function stripLogTime(line: string): string {
  return parseLogLine(line)?.rest ?? line;
}

/** True for a status a caller counts as success (PBS: OK or WARNINGS). */
export function isSuccessStatus(exitstatus: string | undefined): boolean {
  return exitstatus === "OK" || (exitstatus?.startsWith("WARNINGS: ") ?? false);
}

/**
 * Runs a task and follows it; resolves with the exit status. text: `UPID:...`, then the log.
 * json: `{"upid", "status"}` once the task ended (`status` is its exit status, or `running`
 * when the user stopped waiting).
 */
export async function runTaskCommand(
  kind: string,
  args: unknown,
  format: OutputFormat,
  opts: RunTaskCommandOptions,
): Promise<number> {
  const { upid } = await startTask(kind, args, { authId: opts.authId });
  return followTaskCommand(upid, format, opts);
}

/** Follows a task that was started already (a job's run), as runTaskCommand does. */
export async function followTaskCommand(upid: string, format: OutputFormat, opts: RunTaskCommandOptions): Promise<number> {
  if (format === "text") process.stdout.write(`${upid}\n`);

  const following = new AbortController();
  let interrupts = 0;
  const onInterrupt = () => {
    interrupts++;
    if (opts.abortOnInterrupt && interrupts === 1) {
      process.stderr.write("interrupted: aborting the task (Ctrl-C again stops waiting for it)\n");
      stopTask(upid).catch((err: unknown) => printError(`unable to abort the task: ${errorMessage(err)}`));
      return;
    }
    process.stderr.write(`stopped following; the task goes on: coffer task log ${upid}\n`);
    following.abort();
  };
  process.on("SIGINT", onInterrupt);
  let ended: boolean;
  try {
    // The lines of one read go out in one write: a move logs two lines per group, and a write
    // per line to a pipe wakes its reader per line, on the cores the task runs on.
    const out = new LineBatcher((text) => process.stdout.write(text));
    ({ ended } = await followTaskLog(
      upid,
      (line) => {
        if (format === "text") out.add(`${stripLogTime(line.t)}\n`);
      },
      { signal: following.signal, onCaughtUp: () => out.flush() },
    ));
  } finally {
    process.off("SIGINT", onInterrupt);
  }

  if (!ended) {
    if (format === "json") printJson({ upid, status: "running" });
    return opts.abortOnInterrupt ? 130 : 0;
  }
  const status = await taskStatus(upid);
  if (format === "json") printJson({ upid, status: status.exitstatus ?? status.status });
  if (!isSuccessStatus(status.exitstatus)) {
    printError(`task failed (status: ${status.exitstatus ?? status.status})`);
    return 1;
  }
  return 0;
}
