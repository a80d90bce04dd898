/**
 * What an error may tell an API caller. The engine's messages are written for the local admin
 * and may carry absolute paths (a Node error's `lstat '/srv/store/vm/...'`, a lock file under
 * COFFER_HOME); callers of the API, some with very few privileges, get the same message with
 * every path made relative to its datastore or to COFFER_HOME, and any other absolute path cut
 * to its last component. The full message still goes to the server log when it is unexpected.
 *
 * Raw file-system errors get the code their cause deserves: a name too long or not a directory
 * is the caller's BAD_REQUEST / NOT_FOUND, not a server failure.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { cofferHome, paths } from "../config/paths";
import type { ErrorCode } from "../datastore/model/errors";

const ERRNO_CODES: Record<string, ErrorCode> = {
  ENOENT: "NOT_FOUND",
  ENOTDIR: "NOT_FOUND",
  ENAMETOOLONG: "BAD_REQUEST",
  EINVAL: "BAD_REQUEST",
};

/** The API code for a raw Node error, if its errno says more than "server error". */
export function errnoCode(err: unknown): ErrorCode | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === "string" ? ERRNO_CODES[code] : undefined;
}

/** Datastore roots, longest first (a store inside another's directory is matched first). */
function datastoreRoots(): { name: string; root: string }[] {
  try {
    const parsed = JSON.parse(readFileSync(paths.datastoreConfig(), "utf8")) as { datastores?: { name?: unknown; path?: unknown }[] };
    return (parsed.datastores ?? [])
      .filter((d): d is { name: string; path: string } => typeof d.name === "string" && typeof d.path === "string" && d.path.startsWith("/"))
      .map((d) => ({ name: d.name, root: path.resolve(d.path) }))
      .sort((a, b) => b.root.length - a.root.length);
  } catch {
    return [];
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Every file path named by a Node error in `err`'s cause chain (`path`, `dest`). */
function errnoPaths(err: unknown): string[] {
  const out: string[] = [];
  let cur: unknown = err;
  for (let i = 0; cur && i < 32; i++) {
    const e = cur as { path?: unknown; dest?: unknown; cause?: unknown };
    for (const p of [e.path, e.dest]) if (typeof p === "string" && p.startsWith("/")) out.push(p);
    cur = e.cause;
  }
  return out;
}

/**
 * `message` with no file path of this server in it: paths below a datastore become relative to
 * it, paths below COFFER_HOME relative to that, and any other path a file-system error in
 * `err` names is cut to its last component. ACL paths (`/datastore/s1/a`) are not file paths
 * and stay as they are.
 */
export function redactPaths(message: string, err?: unknown): string {
  const home = path.resolve(cofferHome());
  const rules: { from: string; to: (rest: string) => string }[] = [
    ...datastoreRoots().map(({ name, root }) => ({ from: root, to: (rest: string) => (rest === "" ? `datastore '${name}'` : rest.slice(1)) })),
    { from: home, to: (rest: string) => (rest === "" ? "COFFER_HOME" : rest.slice(1)) },
  ];
  let out = message;
  for (const { from, to } of rules) {
    out = out.replace(new RegExp(`${escapeRegExp(from)}(/[^\\s'"\`,;()]*)?(?![^\\s'"\`,;()/])`, "g"), (_m, rest: string | undefined) => to(rest ?? ""));
  }
  for (const p of errnoPaths(err)) {
    if (out.includes(p)) out = out.split(p).join(`…/${path.basename(p)}`);
  }
  return out;
}
