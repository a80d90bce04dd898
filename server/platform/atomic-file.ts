/**
 * Replacing a file so that a reader sees the old or the new content, never a half-written one
 * (PBS replace_file). Config files, lists under run/, and datastore content all use it.
 */
import { randomBytes } from "node:crypto";
import { promises as fs, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

const FILE_MODE = 0o644;

/**
 * Writes `file` through a `.tmp_XXXXXX` sibling in the same directory and renames it into place, so a
 * reader sees the old or the new content, never a half-written file (PBS replace_file).
 * The temporary file is removed again when anything fails.
 */
export async function writeFileAtomic(file: string, data: Uint8Array | string, mode = FILE_MODE): Promise<void> {
  const tmp = temporaryName(file);
  try {
    await fs.writeFile(tmp, data, { mode, flag: "wx" });
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

/**
 * writeFileAtomic without leaving the event loop's thread: for the small lists under run/ that
 * every opening of a store may change (state/active-operations.ts). Three quick system calls
 * cost less than three trips through Node's file thread pool, which a busy server keeps queued.
 */
export function writeFileAtomicSync(file: string, data: Uint8Array | string, mode = FILE_MODE): void {
  const tmp = temporaryName(file);
  try {
    writeFileSync(tmp, data, { mode, flag: "wx" });
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** PBS replaces the extension: `index.json.blob` is written as `index.json.tmp_ab12cd`. */
function temporaryName(file: string): string {
  const ext = path.extname(file);
  const stem = ext ? file.slice(0, -ext.length) : file;
  return `${stem}.tmp_${randomBytes(3).toString("hex")}`;
}
