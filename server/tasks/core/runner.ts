/**
 * Starting and stopping worker tasks (DESIGN.md 7). Every task runs in a process of its own,
 * `bin/coffer task run <kind> --args <json>`, detached (its own session and process group, no
 * terminal, stdout/stderr not tied to the starter), so it outlives a console restart and a
 * crash in it never takes the console down. The task process announces its UPID on an extra
 * pipe (announce.ts); `startTask` resolves with it.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, openSync, readSync, fstatSync, unlinkSync } from "node:fs";
import { access, mkdir } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";

import { paths } from "../../config/paths";
import { CofferError, isErrno } from "../../datastore/model/errors";
import { isProcessAlive } from "../../platform/process";
import { ANNOUNCE_FD, ANNOUNCE_FD_ENV, parseAnnouncement, type Announcement } from "./announce";
import "../kinds/kinds";
import { getTaskKind, parseTaskArgs } from "./registry";
import { readTaskEnd, taskLogPath } from "./task-log";
import { checkUpidField, nodeName, parseUpid } from "./upid";

/** How long a task process may take to start and announce itself (it waits up to 10 s for the list lock). */
const START_TIMEOUT_MS = 30_000;
/** How much of a failed start's stderr goes into the error. */
const STDERR_TAIL_BYTES = 2048;

export interface StartTaskOptions {
  /** The UPID's auth id; the kind's default (root@pam) when omitted. */
  authId?: string;
}

/**
 * Starts a task of a registered kind in its own process and resolves with its UPID once the
 * process runs it. Arguments are checked here first (BAD_REQUEST at once) and again by the
 * task process; any error that keeps the task from starting rejects with that error.
 */
export async function startTask(kind: string, args: unknown, opts: StartTaskOptions = {}): Promise<{ upid: string }> {
  parseTaskArgs(getTaskKind(kind), args);
  if (opts.authId !== undefined) checkUpidField("auth id", opts.authId);
  return spawnTaskProcess(kind, args, opts);
}

/**
 * The `bin/coffer` script. `COFFER_BIN` first: bin/coffer sets it to itself, so the CLI (which
 * runs from its bundle in dist/cli/, scripts/cli-bundle.mjs) spawns its tasks through it. Else
 * computed from this file when it runs as itself (vitest, tsx); inside a Next.js build this
 * module lives in a bundle elsewhere, so then from the working directory, which is the repo
 * root for `npm start` (reference stack-probe.md 9).
 */
export function cofferBin(): string {
  if (process.env.COFFER_BIN) return process.env.COFFER_BIN;
  try {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const candidate = path.resolve(/* turbopackIgnore: true */ here, "..", "..", "..", "bin", "coffer");
    if (existsSync(candidate)) return candidate;
  } catch {
    // import.meta.url is not a file URL in this bundle
  }
  return path.join(/* turbopackIgnore: true */ process.cwd(), "bin", "coffer");
}

/**
 * Spawns the task process without checking the arguments here (startTask does; tests use this
 * to see the task process refuse them itself).
 */
export async function spawnTaskProcess(kind: string, args: unknown, opts: StartTaskOptions = {}): Promise<{ upid: string }> {
  await mkdir(paths.tasks(), { recursive: true, mode: 0o755 });
  // stdout and stderr go to a file that is unlinked at once: nothing ever blocks on or breaks
  // with a reader, and if the process dies before announcing, its output explains why.
  const outFile = path.join(paths.tasks(), `.start-${process.pid}-${randomBytes(4).toString("hex")}`);
  const outFd = openSync(outFile, "w+", 0o600);
  unlinkSync(outFile);
  const argv = ["task", "run", kind, "--args", JSON.stringify(args ?? {})];
  if (opts.authId !== undefined) argv.push("--auth-id", opts.authId);
  let child;
  try {
    child = spawn(cofferBin(), argv, {
      detached: true,
      stdio: ["ignore", outFd, outFd, "pipe"],
      env: { ...process.env, COFFER_HOME: paths.home(), [ANNOUNCE_FD_ENV]: String(ANNOUNCE_FD) },
    });
  } catch (err) {
    closeSync(outFd);
    throw err;
  }
  const proc = child;
  const pipe = proc.stdio[ANNOUNCE_FD] as Readable;
  return new Promise<{ upid: string }>((resolve, reject) => {
    let buf = "";
    let settled = false;
    const finish = (result: Announcement | Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      pipe.destroy();
      proc.unref();
      const out = result instanceof Error ? readTail(outFd) : "";
      closeSync(outFd);
      if (result instanceof Error) reject(out ? new CofferError("INTERNAL", `${result.message}; its output: ${out}`, { cause: result }) : result);
      else if ("upid" in result) resolve({ upid: result.upid });
      else reject(new CofferError(result.code, result.error));
    };
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      finish(new CofferError("INTERNAL", `task process for '${kind}' did not announce its UPID within ${START_TIMEOUT_MS / 1000} s`));
    }, START_TIMEOUT_MS);
    pipe.setEncoding("utf8");
    pipe.on("data", (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf("\n");
      if (nl < 0) return;
      try {
        finish(parseAnnouncement(buf.slice(0, nl)));
      } catch (err) {
        finish(err as Error);
      }
    });
    pipe.on("error", () => {}); // the exit handler reports it
    proc.on("error", (err) =>
      finish(new CofferError("INTERNAL", `unable to start the task process ${cofferBin()}: ${err.message}`, { cause: err })),
    );
    // `close`, not `exit`: it comes after the pipe is drained, so an error announced just
    // before exiting is read first.
    proc.on("close", (code, signal) =>
      finish(
        new CofferError(
          "INTERNAL",
          `task process for '${kind}' exited (${signal ?? `code ${code}`}) before announcing its UPID`,
        ),
      ),
    );
  });
}

function readTail(fd: number): string {
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size, STDERR_TAIL_BYTES);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    return buf.toString("utf8").trim();
  } catch {
    return "";
  }
}

/**
 * Asks a running task to stop: SIGTERM to its process, which turns it into an abort request
 * (the task ends `TASK ERROR: abort requested - aborting task` at its next check). Only a task
 * started here (its log exists) whose process still runs with the UPID's pid and start time is
 * signalled, so neither a made-up UPID nor a recycled pid ever gets a signal. Resolves with
 * `signalled: false` when the task is no longer running.
 */
export async function stopTask(upid: string): Promise<{ signalled: boolean }> {
  const u = parseUpid(upid);
  if (u.node !== nodeName()) {
    throw new CofferError("BAD_REQUEST", `task '${upid}' belongs to node '${u.node}'; this node is '${nodeName()}'`);
  }
  try {
    await access(taskLogPath(upid));
  } catch (err) {
    if (isErrno(err, "ENOENT")) throw new CofferError("NOT_FOUND", `no such task '${upid}'`);
    throw err;
  }
  if (!isProcessAlive(u.pid, u.pstart)) return { signalled: false };
  if ((await readTaskEnd(upid)).final) return { signalled: false }; // ended, exiting now
  try {
    process.kill(u.pid, "SIGTERM");
  } catch (err) {
    if (isErrno(err, "ESRCH")) return { signalled: false };
    throw err;
  }
  return { signalled: true };
}
