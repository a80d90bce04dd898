/**
 * JSON config files read through a cache: parsed and validated once per file version
 * (file-version.ts), so a reader costs one `stat` while the file is unchanged. The files it is
 * for (the auth configs, the datastore config) are only ever replaced whole by rename, which
 * always changes the version, so a change by another process is seen on the next read.
 *
 * The value is frozen and shared by every caller: a caller that changes it works on a copy.
 *
 * In the console's server (lookOncePerTurn), a file is looked at once per turn of the event loop:
 * every API request checks five to seven of these files (session, users, ACL, datastore config),
 * under load one turn handles many requests, and each stat cost the server's thread 4-10 us. A
 * change by another process is then seen from the next turn on, which is before any request that
 * arrives after it (the server never waits for another process synchronously); a write by this
 * process (writeJsonFileDone) is seen at once. Elsewhere (the CLI, tasks, tests) every read
 * looks: they do wait for other processes synchronously, and then read what those wrote.
 */
import { type BigIntStats, readFileSync, statSync } from "node:fs";
import type { z } from "zod";
import { CofferError, isErrno } from "../datastore/model/errors";
import { sameFileVersion } from "./file-version";

const cache = new Map<string, { stat: BigIntStats; value: unknown }>();

/** What each file held when this turn first looked (ABSENT: no file); emptied by setImmediate. */
const thisTurn = new Map<string, unknown>();
let oncePerTurn = false;
const ABSENT = Symbol("absent");
let emptying = false;

/** Makes this process look at each file once per turn (the console's server; see above). */
export function lookOncePerTurn(on = true): void {
  oncePerTurn = on;
  thisTurn.clear();
}

function rememberThisTurn(file: string, value: unknown): void {
  if (!oncePerTurn) return;
  thisTurn.set(file, value);
  if (emptying) return;
  emptying = true;
  setImmediate(() => {
    thisTurn.clear();
    emptying = false;
  });
}

/** Tells the cache that this process has just replaced `file`: the next read looks again. */
export function writeJsonFileDone(file: string): void {
  thisTurn.delete(file);
}

/**
 * The parsed file, or undefined when it does not exist. `what` names the file in errors
 * (`invalid <what> "<file>" - ...`). `fresh` reads the file even when the cache is current.
 */
export function readJsonFileCached<T>(file: string, schema: z.ZodType<T>, what: string, options: { fresh?: boolean } = {}): T | undefined {
  if (!options.fresh) {
    const seen = thisTurn.get(file);
    if (seen !== undefined) return seen === ABSENT ? undefined : (seen as T);
  }
  const value = readVersion(file, schema, what, options.fresh === true);
  rememberThisTurn(file, value === undefined ? ABSENT : value);
  return value;
}

function readVersion<T>(file: string, schema: z.ZodType<T>, what: string, fresh: boolean): T | undefined {
  const stat = statSync(file, { bigint: true, throwIfNoEntry: false });
  if (stat === undefined) return undefined;
  const hit = cache.get(file);
  if (hit && sameFileVersion(hit.stat, stat) && !fresh) return hit.value as T;
  // Replaced after the stat: the next read sees another version and reads again.
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if (isErrno(err, "ENOENT")) return undefined;
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CofferError("INTERNAL", `unable to parse ${what} ${JSON.stringify(file)} - ${String(err)}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new CofferError("INTERNAL", `invalid ${what} ${JSON.stringify(file)} - ${parsed.error.message}`);
  }
  const value = deepFreeze(parsed.data);
  cache.set(file, { stat, value });
  return value;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
