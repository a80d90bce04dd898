/**
 * Replacing a file so that a reader sees the old or the new content, never a half-written one
 * (PBS replace_file). Config files, lists under run/, and datastore content all use it.
 */
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";

const FILE_MODE = 0o644;

/**
 * Writes `file` through a `.tmp_XXXXXX` sibling in the same directory and renames it into place, so a
 * reader sees the old or the new content, never a half-written file (PBS replace_file).
 * The temporary file is removed again when anything fails.
 */
export async function writeFileAtomic(file: string, data: Uint8Array | string, mode = FILE_MODE): Promise<void> {
  // PBS replaces the extension: `index.json.blob` is written as `index.json.tmp_ab12cd`.
  const ext = path.extname(file);
  const stem = ext ? file.slice(0, -ext.length) : file;
  const tmp = `${stem}.tmp_${randomBytes(3).toString("hex")}`;
  try {
    await fs.writeFile(tmp, data, { mode, flag: "wx" });
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}
