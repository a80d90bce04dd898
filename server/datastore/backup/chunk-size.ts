/**
 * Chunk sizes of a backup, as PBS's client takes them (`--chunk-size`, in KiB): a power of two
 * from 64 KiB to 4 MiB. For an image it is the fixed chunk size; for a directory stream the
 * average size of the content-defined chunks (each a quarter to four times that). Either kind
 * of index records its chunks' ends, so PBS reads archives cut at any of these sizes.
 */
import { CofferError } from "../model/errors";
import { DEFAULT_FIXED_CHUNK_SIZE } from "../format/fixed-index";

export const MIN_CHUNK_SIZE_KIB = 64;
export const MAX_CHUNK_SIZE_KIB = 4096;

/** Images: PBS's default. */
export const DEFAULT_IMAGE_CHUNK_SIZE = DEFAULT_FIXED_CHUNK_SIZE;
/**
 * Directories: 1 MiB on average, not PBS's client default of 4 MiB. An edit in a file rewrites
 * the chunks it falls in plus about one chunk's worth around each edited range, so smaller
 * chunks store less after a change: after 5 % changed in five ranges, 4 MiB chunks stored 5 to
 * 7 % more than restic (about 1 MiB chunks), 1 MiB chunks 1 to 2 % less, at the same throughput
 * (docs/compression.md, bench/backup.ts). The cost is four times as many chunk files per
 * directory archive, each still far above a file's own overhead.
 */
export const DEFAULT_DIRECTORY_CHUNK_SIZE = 1024 * 1024;

/** True for a size in KiB that `--chunk-size` accepts. */
export function isChunkSizeKiB(kib: number): boolean {
  return Number.isInteger(kib) && kib >= MIN_CHUNK_SIZE_KIB && kib <= MAX_CHUNK_SIZE_KIB && (kib & (kib - 1)) === 0;
}

export const CHUNK_SIZE_RULE = `a power of two from ${MIN_CHUNK_SIZE_KIB} to ${MAX_CHUNK_SIZE_KIB} (KiB)`;

/** Throws BAD_REQUEST unless `bytes` is a chunk size PBS's client accepts. */
export function checkChunkSize(bytes: number): void {
  if (!isChunkSizeKiB(bytes / 1024)) {
    throw new CofferError("BAD_REQUEST", `chunk size must be ${CHUNK_SIZE_RULE}, not ${bytes / 1024} KiB`);
  }
}
