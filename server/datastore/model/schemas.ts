/**
 * zod schemas for the names and options the engine accepts from outside. They delegate to the
 * engine's own checks in names.ts (pure, no Node APIs) so that the API, the CLI and the
 * console's forms refuse exactly the same inputs, with the engine's wording. The CLI parses its
 * arguments through them too (server/cli/command.ts), so no input the API refuses gets in there.
 */
import { z } from "zod";
import {
  BACKUP_ID_REGEX,
  MAX_BACKUP_ID_LENGTH,
  BACKUP_TYPES,
  BackupNamespace,
  MAX_NAMESPACE_COMPONENT_LENGTH,
  MAX_NAMESPACE_DEPTH,
  checkDatastoreName,
  printable,
} from "./names";
import { badRequest, errorMessage } from "./errors";
import { checkMaintenanceMessage } from "./maintenance";

/** Runs an engine check and turns its error into a zod issue with the engine's message. */
function engineCheck<T>(check: (value: T) => unknown) {
  return (value: T, ctx: z.core.$RefinementCtx<T>) => {
    try {
      check(value);
    } catch (err) {
      ctx.addIssue({ code: "custom", message: errorMessage(err) });
    }
  };
}

export const storeNameSchema = z.string().superRefine(engineCheck(checkDatastoreName));

/**
 * A namespace path such as `a/b/c`; the empty string (the default) is the root namespace. Every
 * component obeys the create API's limit (1 to 32 characters): no namespace can exist with a
 * longer one, so a longer one is a mistake, not a lookup.
 */
export const namespacePathSchema = z.string().superRefine(engineCheck((s: string) => checkNamespaceInput(s)));

/** A namespace that may be left out: the root. */
export const namespaceSchema = namespacePathSchema.default("");

/** Parses a namespace given as input: the engine's rules plus the component length. */
export function checkNamespaceInput(s: string): BackupNamespace {
  const ns = BackupNamespace.parse(s);
  for (const c of ns.components) {
    if (c.length > MAX_NAMESPACE_COMPONENT_LENGTH) {
      throw badRequest(`invalid namespace name '${printable(c)}': use 1 to ${MAX_NAMESPACE_COMPONENT_LENGTH} characters of A-Z a-z 0-9 _ . -`);
    }
  }
  return ns;
}

export const maxDepthSchema = z.number().int().min(0).max(MAX_NAMESPACE_DEPTH);

export const backupTypeSchema = z.enum(BACKUP_TYPES);

export const backupIdSchema = z
  .string()
  .max(MAX_BACKUP_ID_LENGTH, `invalid backup id: at most ${MAX_BACKUP_ID_LENGTH} characters`)
  .regex(BACKUP_ID_REGEX, "invalid backup id: use A-Z a-z 0-9 _ . - (not starting with . or -)");

/** Epoch seconds a snapshot may carry (PBS: up to the end of year 9999). */
export const backupTimeSchema = z.number().int().min(0).max(253402300799);

export const groupRefSchema = z.strictObject({
  type: backupTypeSchema,
  id: backupIdSchema,
});

/** A maintenance message (PBS: at most 64 characters, no control characters); the form uses it too. */
export const maintenanceMessageSchema = z.string().superRefine(engineCheck(checkMaintenanceMessage));

/** What the Maintenance Mode dialog sends; `none` ends maintenance (PBS `delete=maintenance-mode`). */
export const maintenanceSetSchema = z.strictObject({
  store: storeNameSchema,
  mode: z.enum(["none", "read-only", "offline"]),
  message: maintenanceMessageSchema.optional(),
});

export const snapshotRefSchema = groupRefSchema.extend({
  /** Backup time, epoch seconds. */
  time: z.number().int().nonnegative(),
});

/** One page of a list: `offset` items skipped, at most `limit` returned. */
export const pageSchema = {
  offset: z.number().int().min(0).default(0),
  limit: z.number().int().min(1).max(1000).default(100),
};

/** PBS keep options, in its order (server/datastore/prune/prune.ts KEEP_OPTION_NAMES; a test keeps them equal). */
export const KEEP_OPTIONS = ["keep-last", "keep-hourly", "keep-daily", "keep-weekly", "keep-monthly", "keep-yearly"] as const;
export type KeepOptionName = (typeof KEEP_OPTIONS)[number];

/** The largest keep count accepted (far beyond any schedule; PBS's u64 would overflow JSON). */
export const MAX_KEEP_COUNT = 100_000;

/** One keep count: a whole number of at least 1 (PBS); leave it out for "not used". */
export const keepCountSchema = z
  .number()
  .int("a keep count is a whole number")
  .min(1, "a keep count is at least 1")
  .max(MAX_KEEP_COUNT, `a keep count is at most ${MAX_KEEP_COUNT}`);

/** The keep options of a prune; unknown keys are refused. Shared by the API and the Prune dialog. */
export const keepOptionsSchema = z
  .object(Object.fromEntries(KEEP_OPTIONS.map((k) => [k, keepCountSchema.optional()])) as Record<KeepOptionName, z.ZodOptional<typeof keepCountSchema>>)
  .strict();

/** An archive as the snapshot's manifest names it (`drive-scsi0.img.fidx`, `root.pxar.didx`, `qemu-server.conf.blob`). */
export const archiveFileSchema = z
  .string()
  .max(255, "an archive name has at most 255 characters")
  .regex(
    /^[A-Za-z0-9_][A-Za-z0-9._-]*\.(fidx|didx|blob)$/,
    "an archive is named as in the snapshot: A-Z a-z 0-9 _ . - ending in .fidx, .didx or .blob (e.g. root.pxar.didx)",
  );

/** The longest path accepted inside a directory archive (Linux's PATH_MAX). */
export const MAX_ARCHIVE_PATH = 4096;

/** A file or folder inside a directory archive: relative, `/`-separated; `""` is its root. */
export const archivePathSchema = z
  .string()
  .max(MAX_ARCHIVE_PATH, `a path inside an archive has at most ${MAX_ARCHIVE_PATH} characters`)
  .refine(
    (p) => p === "" || (!p.includes("\0") && p.split("/").every((c) => c !== "" && c !== "." && c !== "..")),
    "a path inside an archive is relative (etc/hosts), without empty, '.' or '..' parts; leave it empty for the top folder",
  );
