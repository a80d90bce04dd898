/**
 * Maintenance modes and the operations they refuse (reference pbs-engine.md 6.1, 6.2). Pure:
 * no Node APIs, so the console's form validates the message with exactly these rules.
 *
 * `MaintenanceMode.message` holds the plain text. PBS keeps it percent-encoded inside its
 * property string (`read-only,message=disk%20swap`); that encoding exists only in
 * `parseMaintenanceProperty` / `formatMaintenanceProperty`, which read and write PBS's form.
 */
import { CofferError } from "./errors";
import type { MaintenanceMode, MaintenanceType, Operation } from "./types";

export const MAINTENANCE_TYPES = ["read-only", "offline", "delete", "unmount", "s3-refresh"] as const satisfies readonly MaintenanceType[];

/** PBS MAINTENANCE_MESSAGE_SCHEMA: max_length 64. */
export const MAX_MAINTENANCE_MESSAGE_LENGTH = 64;

const refused = (msg: string) => new CofferError("PRECONDITION_FAILED", msg);

/**
 * PBS `MaintenanceMode::check(op)`; the first matching rule wins. Throws PRECONDITION_FAILED;
 * the caller adds `datastore '<name>' is unavailable: `.
 */
export function checkMaintenance(mode: MaintenanceMode | undefined, op: Operation): void {
  if (!mode) return;
  const message = mode.message ?? "";
  if (mode.type === "delete") throw refused("datastore is being deleted"); // even a lookup
  if (op === "lookup") return;
  switch (mode.type) {
    case "unmount":
      throw refused("datastore is being unmounted");
    case "offline":
      throw refused(`offline maintenance mode: ${message}`);
    case "s3-refresh":
      throw refused(`S3 refresh maintenance mode: ${message}`);
    case "read-only":
      if (op === "write") throw refused(`read-only maintenance mode: ${message}`);
      return;
  }
}

export function isMaintenanceType(s: string): s is MaintenanceType {
  return (MAINTENANCE_TYPES as readonly string[]).includes(s);
}

/**
 * Validates a maintenance message (PBS: at most 64 characters, `^[[:^cntrl:]]*$`). Counts
 * Unicode characters, not UTF-16 units or bytes. Returns the message unchanged.
 */
export function checkMaintenanceMessage(msg: string): string {
  const length = [...msg].length;
  if (length > MAX_MAINTENANCE_MESSAGE_LENGTH) {
    throw new CofferError(
      "BAD_REQUEST",
      `maintenance message is too long: ${length} characters, at most ${MAX_MAINTENANCE_MESSAGE_LENGTH} are allowed`,
    );
  }
  const ctrl = /\p{Cc}/u.exec(msg);
  if (ctrl) {
    const code = ctrl[0].codePointAt(0)!.toString(16).padStart(2, "0");
    throw new CofferError(
      "BAD_REQUEST",
      `maintenance message contains a control character (\\x${code} at position ${[...msg.slice(0, ctrl.index)].length + 1}): use a single line of printable text`,
    );
  }
  return msg;
}

/**
 * Parses PBS's `maintenance-mode` property string: `<type>[,message=<percent-encoded>]`, the
 * type also as `type=<type>`. Throws BAD_REQUEST on anything else (PBS's
 * `get_maintenance_mode` then treats the mode as unset; the caller decides).
 */
export function parseMaintenanceProperty(value: string): MaintenanceMode {
  const bad = (why: string) => new CofferError("BAD_REQUEST", `invalid maintenance mode ${JSON.stringify(value)}: ${why}`);
  let type: string | undefined;
  let message: string | undefined;
  for (const part of value.split(",")) {
    const eq = part.indexOf("=");
    const key = eq < 0 ? "type" : part.slice(0, eq).trim();
    const val = eq < 0 ? part.trim() : part.slice(eq + 1);
    if (key === "type") {
      if (type !== undefined) throw bad("the type is given twice");
      type = val.trim();
    } else if (key === "message") {
      if (message !== undefined) throw bad("the message is given twice");
      message = percentDecode(val);
    } else {
      throw bad(`unknown property '${key}' (expected type and message)`);
    }
  }
  if (type === undefined || type === "") throw bad("the type is missing");
  if (!isMaintenanceType(type)) throw bad(`unknown type '${type}' (expected one of ${MAINTENANCE_TYPES.join(", ")})`);
  return message === undefined ? { type } : { type, message };
}

/** Formats a mode as PBS writes it: `read-only,message=disk%20swap`. */
export function formatMaintenanceProperty(mode: MaintenanceMode): string {
  if (mode.message === undefined) return mode.type;
  return `${mode.type},message=${encodeURIComponent(mode.message)}`;
}

/**
 * Percent-decoding as PBS's `percent_decode_str(..).decode_utf8_lossy()`: a `%` not followed
 * by two hex digits stays as it is, and invalid UTF-8 becomes U+FFFD.
 */
function percentDecode(s: string): string {
  const bytes: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "%" && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      const cp = s.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      bytes.push(...enc.encode(ch));
      i += ch.length - 1;
    }
  }
  return new TextDecoder("utf-8").decode(new Uint8Array(bytes));
}
