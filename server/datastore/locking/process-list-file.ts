/**
 * A small JSON list of per-process entries under `run/` (active operations, backup writers):
 * read without a lock (the file is only ever replaced whole), changed under the exclusive lock
 * `<file>.lock` (10 s) and written atomically. `what` names the file in errors.
 *
 * The file is read and written with synchronous calls: it is a few hundred bytes on local
 * state, and a busy console opens a store for most requests. Each trip through Node's file
 * thread pool waited behind the listings' and compressions' work there, up to tens of
 * milliseconds a trip (docs/benchmarks.md, the soak); the calls themselves take microseconds.
 */
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { z } from "zod";
import { CofferError, isErrno, withContext } from "../model/errors";
import { writeFileAtomicSync } from "../../platform/atomic-file";
import { lockNamed } from "../../platform/file-lock";

export function readListFile<T>(file: string, schema: z.ZodType<T[]>, what: string): T[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if (isErrno(err, "ENOENT")) return [];
    throw withContext(`unable to read ${what} ${JSON.stringify(file)}`, err);
  }
  try {
    return schema.parse(JSON.parse(text));
  } catch (err) {
    throw new CofferError("INTERNAL", `${what} ${JSON.stringify(file)} is corrupt: ${(err as Error).message}`, { cause: err });
  }
}

/** Replaces the list with `change(current)` under the file's lock. */
export async function updateListFile<T>(
  file: string,
  schema: z.ZodType<T[]>,
  what: string,
  change: (current: T[]) => T[],
): Promise<void> {
  mkdirSync(path.dirname(file), { recursive: true });
  const guard = await lockNamed(`${file}.lock`);
  try {
    replaceListFile(file, schema, what, change);
  } finally {
    await guard.release();
  }
}

/**
 * Replaces the list with `change(current)`; the caller holds `<file>.lock`, which lives in the
 * same directory, so that directory exists.
 */
export function replaceListFile<T>(file: string, schema: z.ZodType<T[]>, what: string, change: (current: T[]) => T[]): void {
  const next = change(readListFile(file, schema, what));
  writeFileAtomicSync(file, JSON.stringify(next));
}
