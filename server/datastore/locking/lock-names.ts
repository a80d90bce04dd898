/**
 * Lock paths with PBS's naming (reference pbs-engine.md 3.2, `lock_file_path_helper`):
 * `<locks>/<store>/<ns folder>/<systemd-escaped type/id[/time[/file]]>`, with a hashed name in
 * `<ns folder>/hashed/` when the escaped name would not fit in a file name.
 */
import { createHash } from "node:crypto";
import path from "node:path";

import { paths } from "../../config/paths";
import { CofferError } from "../model/errors";
import { type BackupNamespace, formatBackupTime, type GroupRef, type SnapshotRef } from "../model/names";

/** PBS `MANIFEST_LOCK_NAME`: the manifest lock is the snapshot path plus this component. */
export const MANIFEST_LOCK_NAME = ".index.json.lck";

/** Escaped names of this many bytes or more go to the hashed form (PBS: `enc.len() < 255`). */
export const MAX_ESCAPED_NAME = 255;
const HASHED_KEEP = 80;

const PLAIN_BYTE = /^[A-Za-z0-9_.]$/;
const encoder = new TextEncoder();

/**
 * systemd "path" escaping as PBS's `escape_unit(path, true)` does it: leading `/` stripped,
 * `/` -> `-`, bytes outside [A-Za-z0-9_.] and a leading `.` -> `\xNN` (two lowercase hex digits
 * per UTF-8 byte), the empty path -> `-`.
 */
export function escapePath(raw: string): string {
  return escapeAscii(raw) ?? escapeBytes(raw);
}

/** `escapePath` byte by byte over the UTF-8 encoding: any path (exported for its test). */
export function escapeBytes(raw: string): string {
  const bytes = encoder.encode(raw.replace(/^\/+/, ""));
  if (bytes.length === 0) return "-";
  let out = "";
  bytes.forEach((b, i) => {
    const ch = String.fromCharCode(b);
    if (ch === "/") out += "-";
    else if ((i === 0 && ch === ".") || !PLAIN_BYTE.test(ch)) out += `\\x${b.toString(16).padStart(2, "0")}`;
    else out += ch;
  });
  return out;
}

const HEX = "0123456789abcdef";

/**
 * `escapePath` for a path of ASCII characters, without encoding it to bytes first (a lock path
 * is escaped per snapshot a move locks); undefined when `raw` has other characters.
 */
function escapeAscii(raw: string): string | undefined {
  let start = 0;
  while (start < raw.length && raw.charCodeAt(start) === 0x2f) start++;
  if (start === raw.length) return "-";
  let out = "";
  for (let i = start; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c > 0x7f) return undefined;
    if (c === 0x2f) out += "-";
    else if (
      (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || (c === 0x2e && i !== start)
    ) {
      out += raw[i];
    } else out += `\\x${HEX[c >> 4]}${HEX[c & 15]}`;
  }
  return out;
}

/**
 * Inverse of `escapePath` for every path it can produce: `-` -> `/`, `\xNN` -> byte, then UTF-8.
 * (Escaping is lossy only where systemd's is: leading slashes are gone, and `-` reads back as `/`.)
 */
export function unescapePath(escaped: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < escaped.length; i++) {
    const ch = escaped[i]!;
    if (ch === "-") {
      bytes.push(0x2f);
    } else if (ch === "\\") {
      const hex = escaped.slice(i + 2, i + 4);
      if (escaped[i + 1] !== "x" || !/^[0-9a-fA-F]{2}$/.test(hex)) {
        throw new CofferError("BAD_REQUEST", `invalid escape sequence at offset ${i} in ${JSON.stringify(escaped)}`);
      }
      bytes.push(parseInt(hex, 16));
      i += 3;
    } else {
      const code = ch.charCodeAt(0);
      if (code > 0x7f) throw new CofferError("BAD_REQUEST", `unescaped non-ASCII character in ${JSON.stringify(escaped)}`);
      bytes.push(code);
    }
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array(bytes));
  } catch {
    throw new CofferError("BAD_REQUEST", `escaped name ${JSON.stringify(escaped)} is not valid UTF-8`);
  }
}

/** Namespace folder: components joined with `:`; the root namespace has none (""). */
export function namespaceLockFolder(ns: BackupNamespace): string {
  return ns.lockFolder();
}

/**
 * Lock path of `rel` (`type/id[/time[/file]]`, without namespaces) relative to the store's
 * lock directory. No suffix is ever appended to it (Coffer's lock is a directory at this very
 * path, and a free lock is staged under a short name of its own), so the 255-byte name limit
 * is PBS's alone.
 */
export function lockRelativePath(ns: BackupNamespace, rel: string): string {
  const folder = namespaceLockFolder(ns);
  const enc = escapePath(rel);
  if (enc.length < MAX_ESCAPED_NAME) return path.join(/* turbopackIgnore: true */ folder, enc);
  const hash = createHash("sha256").update(rel, "utf8").digest("hex");
  const name = `${enc.slice(0, HASHED_KEEP)}...${enc.slice(-HASHED_KEEP)}-${hash}`;
  return path.join(/* turbopackIgnore: true */ folder, "hashed", name);
}

export function groupLockPath(store: string, ns: BackupNamespace, group: GroupRef): string {
  return path.join(paths.locks(store), lockRelativePath(ns, `${group.type}/${group.id}`));
}

/** The folder of a namespace's group and snapshot locks (`<locks>/<store>/<ns folder>`). */
export function namespaceLockDir(store: string, ns: BackupNamespace): string {
  return path.join(paths.locks(store), namespaceLockFolder(ns));
}

/**
 * The group lock's name in namespaceLockDir (the last part of groupLockPath), or undefined when
 * its name was too long and is hashed into a subfolder.
 */
export function groupLockEntry(ns: BackupNamespace, group: GroupRef): string | undefined {
  const rel = lockRelativePath(ns, `${group.type}/${group.id}`);
  return path.dirname(rel) === (namespaceLockFolder(ns) || ".") ? path.basename(rel) : undefined;
}

export function snapshotLockPath(store: string, ns: BackupNamespace, snap: SnapshotRef): string {
  return path.join(paths.locks(store), lockRelativePath(ns, snapshotRel(snap)));
}

export function manifestLockPath(store: string, ns: BackupNamespace, snap: SnapshotRef): string {
  return path.join(paths.locks(store), lockRelativePath(ns, `${snapshotRel(snap)}/${MANIFEST_LOCK_NAME}`));
}

function snapshotRel(snap: SnapshotRef): string {
  return `${snap.type}/${snap.id}/${formatBackupTime(snap.time)}`;
}
