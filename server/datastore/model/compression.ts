/**
 * How a datastore stores the chunks and blobs that backups write (issue 13, docs/compression.md):
 * zstd at a level, kept only when smaller (PBS's rule), or uncompressed. Pure, so the console's
 * Add datastore form checks with the server's rules and words.
 */
import { badRequest } from "./errors";
import { printable } from "./names";

export const COMPRESSIONS = ["zstd", "none"] as const;
export type Compression = (typeof COMPRESSIONS)[number];

/** zstd's regular levels. */
export const MIN_COMPRESSION_LEVEL = 1;
export const MAX_COMPRESSION_LEVEL = 19;
/**
 * PBS's client uses 1; 2 is measured to store about what restic stores at 0.84x of the speed of
 * writing uncompressed, where 3 stores 3 % less at 0.76x (docs/benchmarks.md).
 */
export const DEFAULT_COMPRESSION_LEVEL = 2;

export function checkCompression(value: string): Compression {
  if (!(COMPRESSIONS as readonly string[]).includes(value)) {
    throw badRequest(`invalid compression '${printable(value)}': use zstd (the default) or none`);
  }
  return value as Compression;
}

export function checkCompressionLevel(level: number): number {
  if (!Number.isInteger(level) || level < MIN_COMPRESSION_LEVEL || level > MAX_COMPRESSION_LEVEL) {
    throw badRequest(
      `invalid compression level ${String(level)}: use a zstd level from ${MIN_COMPRESSION_LEVEL} to ${MAX_COMPRESSION_LEVEL} (default ${DEFAULT_COMPRESSION_LEVEL})`,
    );
  }
  return level;
}

/** A level typed as text (a CLI option, a form field): a whole number in range. */
export function parseCompressionLevel(text: string): number {
  if (!/^\d+$/.test(text)) {
    throw badRequest(
      `invalid compression level '${printable(text)}': use a zstd level from ${MIN_COMPRESSION_LEVEL} to ${MAX_COMPRESSION_LEVEL} (default ${DEFAULT_COMPRESSION_LEVEL})`,
    );
  }
  return checkCompressionLevel(Number(text));
}

/** A level only means something with zstd. */
export function checkCompressionPair(compression: string | undefined, level: number | undefined): void {
  if (compression !== undefined) checkCompression(compression);
  if (level === undefined) return;
  checkCompressionLevel(level);
  if (compression === "none") throw badRequest("a compression level needs compression zstd, not none");
}

/** As the console and the API show it. */
export type CompressionSetting = { type: "zstd"; level: number } | { type: "none" };
