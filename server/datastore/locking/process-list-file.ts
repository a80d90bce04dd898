/**
 * A small JSON list of per-process entries under `run/` (active operations, backup writers):
 * read without a lock (the file is only ever replaced whole), changed under the exclusive lock
 * `<file>.lock` (10 s) and written atomically. `what` names the file in errors.
 */
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { z } from "zod";
import { CofferError, isErrno, withContext } from "../model/errors";
import { writeFileAtomic } from "../../platform/atomic-file";
import { lockNamed } from "../../platform/file-lock";

export async function readListFile<T>(file: string, schema: z.ZodType<T[]>, what: string): Promise<T[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
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
  await mkdir(path.dirname(file), { recursive: true });
  const guard = await lockNamed(`${file}.lock`);
  try {
    await replaceListFile(file, schema, what, change);
  } finally {
    await guard.release();
  }
}

/** Replaces the list with `change(current)`; the caller holds `<file>.lock`. */
export async function replaceListFile<T>(file: string, schema: z.ZodType<T[]>, what: string, change: (current: T[]) => T[]): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const next = change(await readListFile(file, schema, what));
  await writeFileAtomic(file, JSON.stringify(next));
}
