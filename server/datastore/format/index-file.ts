/**
 * Where an index file lives, as the index readers and writers see it. The format code never
 * opens a path itself: the storage backend hands it an `IndexFile` (storage/local-backend.ts
 * maps it to a file under the datastore; another backend maps it to its own storage), and
 * tests and tools use `localIndexFile` for a plain path.
 */
import type { FileHandle } from "node:fs/promises";
import { open, readFile, rename, unlink } from "node:fs/promises";
import path from "node:path";
import { CofferError, errorMessage } from "../model/errors";

/** A writer's temporary file: written whole, then renamed into place or thrown away. */
export interface IndexTempFile {
  /** For messages and tests. */
  readonly display: string;
  /** Writes `data` from offset 0 (the temp file was created empty). */
  write(data: Buffer): Promise<void>;
  /** Makes the written file the index (PBS: atomic rename into place). */
  commit(): Promise<void>;
  /** Closes and removes the temp file. Safe to call more than once. */
  discard(): Promise<void>;
}

export interface IndexFile {
  /** The final path, for messages (PBS prints the absolute path). */
  readonly display: string;
  read(): Promise<Buffer>;
  /** Creates `<stem>.<ext>` next to the final path at once (PBS creates it when the writer starts). */
  createTemp(ext: "tmp_fidx" | "tmp_didx"): Promise<IndexTempFile>;
}

/** An index file at an absolute local path. */
export function localIndexFile(absPath: string): IndexFile {
  return {
    display: absPath,
    read: () => readFile(absPath),
    async createTemp(ext) {
      const tmp = tempIndexPath(absPath, ext);
      let handle: FileHandle | undefined = await open(tmp, "w", 0o644);
      const close = async () => {
        const h = handle;
        handle = undefined;
        await h?.close();
      };
      return {
        display: tmp,
        async write(data) {
          if (!handle) throw new CofferError("INTERNAL", `index temp file ${JSON.stringify(tmp)} is closed`);
          let done = 0;
          while (done < data.length) {
            const { bytesWritten } = await handle.write(data, done, data.length - done, done);
            done += bytesWritten;
          }
        },
        async commit() {
          await close();
          try {
            await rename(tmp, absPath);
          } catch (err) {
            throw new CofferError("INTERNAL", `Atomic rename file ${JSON.stringify(absPath)} failed - ${errorMessage(err)}`, {
              cause: err,
            });
          }
        },
        async discard() {
          await close().catch(() => undefined);
          await unlink(tmp).catch(() => undefined);
        },
      };
    },
  };
}

/** PBS names a writer's temp file with `set_extension`: `a.img.fidx` -> `a.img.tmp_fidx`. */
export function tempIndexPath(finalPath: string, ext: "tmp_fidx" | "tmp_didx"): string {
  const dir = path.dirname(finalPath);
  const base = path.basename(finalPath);
  const dot = base.lastIndexOf(".");
  const stem = dot > 0 ? base.slice(0, dot) : base;
  return path.join(/* turbopackIgnore: true */ dir, `${stem}.${ext}`);
}
