/**
 * Unique process/task ids in PBS's format (reference pbs-engine.md 8.1):
 *
 *   UPID:{node}:{pid:08X}:{pstart:08X}:{task_id:08X}:{starttime:08X}:{type}:{escaped id}:{auth id}:
 *
 * A UPID names the process that runs the task (pid plus start time, so a recycled pid is never
 * mistaken for it), which is what lets `task stop` signal the task from any process.
 */
import os from "node:os";

import { CofferError } from "../../datastore/model/errors";
import { printable } from "../../datastore/model/names";
import { isValidAuthId } from "../../datastore/model/owner";
import { selfStartTime } from "../../platform/process";
import { processGlobal } from "../../platform/process-global";

export interface Upid {
  node: string;
  pid: number;
  /** Field 22 of /proc/<pid>/stat (clock ticks since boot). */
  pstart: number;
  /** Per-process counter, from 0. */
  taskId: number;
  /** Epoch seconds. */
  starttime: number;
  workerType: string;
  /** The unescaped worker id; undefined when the task has none (an empty field). */
  workerId?: string;
  authId: string;
}

/** PBS's UPID regex (pbs-api-types), verbatim apart from JS group syntax. */
export const UPID_REGEX =
  /^UPID:(?<node>[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?):(?<pid>[0-9A-Fa-f]{8}):(?<pstart>[0-9A-Fa-f]{8,9}):(?<taskId>[0-9A-Fa-f]{8,16}):(?<starttime>[0-9A-Fa-f]{8}):(?<wtype>[^:\s]+):(?<wid>[^:\s]*):(?<authid>[^:\s]+):$/;

const NODE_REGEX = /^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/;

/** Task ids count on per process, across every copy of this module (platform/process-global.ts). */
const counter = processGlobal("upid", () => ({ nextTaskId: 0 }));

/**
 * The node name: the host name up to the first `.` (PBS proxmox_sys::nodename). A host name the
 * UPID regex cannot carry (say `my_host`) would make every UPID unparseable, so it falls back
 * to `localhost`, the node name PBS's own UI uses for the local node.
 */
export function nodeName(): string {
  const short = os.hostname().split(".")[0] ?? "";
  return NODE_REGEX.test(short) ? short : "localhost";
}

/**
 * A new UPID for a task run by this process. Throws BAD_REQUEST when the worker type or the
 * auth id holds a character the UPID format cannot carry.
 */
export function createUpid(workerType: string, workerId: string | undefined, authId: string): Upid {
  checkUpidField("worker type", workerType);
  checkUpidField("auth id", authId);
  return {
    node: nodeName(),
    pid: process.pid,
    pstart: selfStartTime(),
    taskId: counter.nextTaskId++,
    starttime: Math.floor(Date.now() / 1000),
    workerType,
    workerId: workerId === "" ? undefined : workerId,
    authId,
  };
}

/**
 * PBS refuses `/`, `:` and space in the worker type (and the auth id); any other white space
 * would break the regex (`[^:\s]+`) just the same, so it is refused too.
 */
export function checkUpidField(what: "worker type" | "auth id", value: string): void {
  if (value === "" || /[/:\s]/.test(value)) {
    throw new CofferError(
      "BAD_REQUEST",
      `illegal characters in ${what} '${value}' (it must be non-empty, without '/', ':' or white space)`,
    );
  }
}

const hex8 = (n: number) => n.toString(16).toUpperCase().padStart(8, "0");

export function formatUpid(u: Upid): string {
  const wid = u.workerId === undefined ? "" : escapeWorkerId(u.workerId);
  return `UPID:${u.node}:${hex8(u.pid)}:${hex8(u.pstart)}:${hex8(u.taskId)}:${hex8(u.starttime)}:${u.workerType}:${wid}:${u.authId}:`;
}

/**
 * Parses a UPID string strictly: PBS's regex, then PBS's character rules on the fields the
 * regex leaves loose (worker type and auth id without `/`, `:` or white space; the auth id a
 * valid `user@realm[!token]`), and a worker id that unescapes to valid UTF-8. The task files
 * are found from these parsed fields only (task-log.ts formats them anew), never from `s`.
 * Throws BAD_REQUEST `unable to parse UPID '{s}'` (PBS's text).
 */
export function parseUpid(s: string): Upid {
  const fail = (cause?: unknown) =>
    new CofferError("BAD_REQUEST", `unable to parse UPID '${printable(s.slice(0, 300))}'`, cause === undefined ? undefined : { cause });
  const g = UPID_REGEX.exec(s)?.groups;
  if (!g) throw fail();
  let workerId: string | undefined;
  try {
    checkUpidField("worker type", g.wtype!);
    checkUpidField("auth id", g.authid!);
    if (!isValidAuthId(g.authid!)) throw new CofferError("BAD_REQUEST", `invalid auth id '${printable(g.authid!)}'`);
    workerId = g.wid ? unescapeWorkerId(g.wid) : undefined;
  } catch (err) {
    throw fail(err);
  }
  return {
    node: g.node!,
    pid: parseInt(g.pid!, 16),
    pstart: parseInt(g.pstart!, 16),
    taskId: parseInt(g.taskId!, 16),
    starttime: parseInt(g.starttime!, 16),
    workerType: g.wtype!,
    workerId,
    authId: g.authid!,
  };
}

/** True when `s` is a well-formed UPID. */
export function isUpid(s: string): boolean {
  try {
    parseUpid(s);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Worker-id escaping: systemd unit style, not path mode (proxmox_systemd::escape_unit(s, false)).

const PLAIN = /^[A-Za-z0-9_.]$/;

/**
 * `/` becomes `-`; every UTF-8 byte outside [A-Za-z0-9_.], and a leading `.`, becomes `\xNN`
 * (lower-case hex). So a literal `-` is `\x2d`, which keeps `-` free to mean `/`.
 */
export function escapeWorkerId(id: string): string {
  const bytes = Buffer.from(id, "utf8");
  let out = "";
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    const c = String.fromCharCode(b);
    if (c === "/") out += "-";
    else if ((i === 0 && c === ".") || b >= 0x80 || !PLAIN.test(c)) out += `\\x${b.toString(16).padStart(2, "0")}`;
    else out += c;
  }
  return out;
}

/** The inverse of escapeWorkerId: `-` → `/`, `\xNN` → the byte. Throws on a malformed escape. */
export function unescapeWorkerId(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; ) {
    const c = text[i]!;
    if (c === "\\") {
      const hex = text.slice(i + 2, i + 4);
      if (text[i + 1] !== "x" || !/^[0-9a-fA-F]{2}$/.test(hex)) {
        throw new CofferError("BAD_REQUEST", `invalid escape sequence at offset ${i} in worker id '${text}' (expected \\xNN)`);
      }
      bytes.push(parseInt(hex, 16));
      i += 4;
    } else if (c === "-") {
      bytes.push(0x2f);
      i++;
    } else {
      // Not produced by escaping, but taken as is (whole code points, not UTF-16 halves).
      const ch = String.fromCodePoint(text.codePointAt(i)!);
      bytes.push(...Buffer.from(ch, "utf8"));
      i += ch.length;
    }
  }
  const buf = Buffer.from(bytes);
  const decoded = new TextDecoder("utf-8", { fatal: true });
  try {
    return decoded.decode(buf);
  } catch (err) {
    throw new CofferError("BAD_REQUEST", `worker id '${text}' does not unescape to valid UTF-8`, { cause: err });
  }
}

/** The user part and token name of an auth id (`user@realm!token`), as PBS's task status shows them. */
export function splitAuthId(authId: string): { user: string; tokenid?: string } {
  const bang = authId.indexOf("!");
  return bang < 0 ? { user: authId } : { user: authId.slice(0, bang), tokenid: authId.slice(bang + 1) };
}
