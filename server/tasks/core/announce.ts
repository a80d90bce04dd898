/**
 * How a task process tells its starter that it is running (or why it could not start): one
 * JSON line on an extra file descriptor the starter passes as a pipe, named by an environment
 * variable. A separate descriptor keeps stdout and stderr free to go to /dev/null, so the task
 * never writes into a pipe whose reader (a console that restarted) is gone.
 */
import { closeSync, writeSync } from "node:fs";

import type { ErrorCode } from "../../datastore/model/errors";

export const ANNOUNCE_FD_ENV = "COFFER_TASK_ANNOUNCE_FD";
/** The descriptor the starter uses (stdio index 3). */
export const ANNOUNCE_FD = 3;

export type Announcement = { upid: string } | { error: string; code: ErrorCode };

/** The descriptor to announce on, taken out of the environment so sub-processes do not inherit it. */
export function takeAnnounceFd(): number | undefined {
  const v = process.env[ANNOUNCE_FD_ENV];
  delete process.env[ANNOUNCE_FD_ENV];
  return v !== undefined && /^[0-9]+$/.test(v) ? Number(v) : undefined;
}

/**
 * Writes the announcement and closes the descriptor. A starter that is gone (EPIPE) is no
 * reason for the task to fail: it runs on and can be followed through its UPID.
 */
export function writeAnnouncement(fd: number, msg: Announcement): void {
  try {
    writeSync(fd, `${JSON.stringify(msg)}\n`);
  } catch {
    // the starter went away
  }
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

export function parseAnnouncement(line: string): Announcement {
  const v = JSON.parse(line) as Partial<{ upid: string; error: string; code: ErrorCode }>;
  if (typeof v.upid === "string") return { upid: v.upid };
  if (typeof v.error === "string") return { error: v.error, code: v.code ?? "INTERNAL" };
  throw new Error(`unexpected announcement from a task process: ${line}`);
}
