/**
 * What the console's Add datastore form and the API accept for a new datastore (the CLI takes
 * the same through lifecycle.ts). Pure, so the form validates with the server's rules and words.
 * The path must be absolute: a relative one would be resolved against the server's working
 * directory, which means nothing to someone in a browser.
 */
import { z } from "zod";
import { badRequest, errorMessage } from "./errors";
import { checkDatastoreName, printable } from "./names";
import { checkCompression, checkCompressionLevel } from "./compression";
import { checkBucketName, checkS3Endpoint, checkS3Region } from "./s3";
import { storeNameSchema } from "./schemas";

/** Linux's PATH_MAX. */
export const MAX_DATASTORE_PATH_LENGTH = 4096;
/** PBS's single-line comment limit. */
export const MAX_DATASTORE_COMMENT_LENGTH = 128;

const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * An absolute, normalised directory path: no `.` or `..` components, no empty components
 * (`//`), no trailing `/`, no control characters. The path the form shows is then exactly the
 * directory the server uses.
 */
export function checkDatastorePath(p: string): string {
  const allowed = `an absolute directory path such as /srv/coffer/store1 (at most ${MAX_DATASTORE_PATH_LENGTH} characters)`;
  if (p === "") throw badRequest(`path: required, ${allowed}`);
  if (p.length > MAX_DATASTORE_PATH_LENGTH) throw badRequest(`path: too long (${p.length} characters), use ${allowed}`);
  if (CONTROL.test(p)) throw badRequest("path: control characters are not allowed");
  if (!p.startsWith("/")) throw badRequest(`path '${printable(p)}' is not absolute: use ${allowed}`);
  if (p === "/") throw badRequest("path: the root directory cannot hold a datastore");
  const parts = p.slice(1).split("/");
  if (parts.some((c) => c === "" || c === "." || c === "..")) {
    throw badRequest(`path '${printable(p)}': no '.', '..', '//' or trailing '/' allowed, use ${allowed}`);
  }
  return p;
}

export function checkDatastoreComment(comment: string): string {
  if (comment.length > MAX_DATASTORE_COMMENT_LENGTH || CONTROL.test(comment)) {
    throw badRequest(`invalid comment: at most ${MAX_DATASTORE_COMMENT_LENGTH} characters on one line, no control characters`);
  }
  return comment;
}

function engineCheck<T>(check: (value: T) => unknown) {
  return (value: T, ctx: z.core.$RefinementCtx<T>) => {
    try {
      check(value);
    } catch (err) {
      ctx.addIssue({ code: "custom", message: errorMessage(err) });
    }
  };
}

/** A level only means something with zstd (the engine's checkCompressionPair says the same). */
const levelWithZstd = (v: { compression?: string; compressionLevel?: number }) => v.compressionLevel === undefined || v.compression !== "none";
const LEVEL_NEEDS_ZSTD = { message: "compressionLevel: a compression level needs compression zstd, not none", path: ["compressionLevel"] };

/**
 * Add datastore: `path` left out means COFFER_HOME/datastores/<name>; `reuse` attaches an
 * existing PBS datastore at `path` without changing it (and so needs the path).
 */
export const datastoreCreateSchema = z
  .strictObject({
    name: z.string().superRefine(engineCheck(checkDatastoreName)),
    path: z.string().superRefine(engineCheck(checkDatastorePath)).optional(),
    reuse: z.boolean().default(false),
    comment: z.string().superRefine(engineCheck(checkDatastoreComment)).optional(),
    /** Keep the datastore in an S3 bucket; `path` is then its local cache (required). */
    s3: z
      .strictObject({
        endpoint: z.string().superRefine(engineCheck(checkS3Endpoint)),
        bucket: z.string().superRefine(engineCheck(checkBucketName)),
        region: z.string().superRefine(engineCheck(checkS3Region)).optional(),
        pathStyle: z.boolean().default(false),
      })
      .optional(),
    /** How backups store new chunks: zstd (default) or none. */
    compression: z.string().superRefine(engineCheck(checkCompression)).optional(),
    /** The zstd level, with compression zstd only (default DEFAULT_COMPRESSION_LEVEL). */
    compressionLevel: z.number().superRefine(engineCheck(checkCompressionLevel)).optional(),
  })
  .refine(levelWithZstd, LEVEL_NEEDS_ZSTD)
  .refine((v) => !v.reuse || v.path !== undefined, {
    message: "path: required to attach an existing datastore (the directory that holds its .chunks)",
    path: ["path"],
  })
  .refine((v) => !v.s3 || v.path !== undefined, {
    message: "path: an S3 datastore needs a local cache directory",
    path: ["path"],
  });

export type DatastoreCreateInput = z.input<typeof datastoreCreateSchema>;

/** Changing a datastore's options (the API's datastore.update): at least one of them. */
export const datastoreOptionsSchema = z
  .strictObject({
    store: storeNameSchema,
    /** The new comment; "" removes it. */
    comment: z
      .string()
      .superRefine((v, ctx) => (v === "" ? undefined : engineCheck(checkDatastoreComment)(v, ctx)))
      .optional(),
    compression: z.string().superRefine(engineCheck(checkCompression)).optional(),
    compressionLevel: z.number().superRefine(engineCheck(checkCompressionLevel)).optional(),
  })
  .refine((v) => v.comment !== undefined || v.compression !== undefined || v.compressionLevel !== undefined, {
    message: "nothing to change: give a comment, a compression (zstd or none) or a compression level",
  })
  .refine(levelWithZstd, LEVEL_NEEDS_ZSTD);
