/**
 * zod schemas for the names the API accepts. They delegate to the engine's own checks in
 * server/datastore/names.ts (pure, no Node APIs) so that the API, the CLI and later the console's
 * forms refuse exactly the same inputs, with the engine's wording.
 */
import { z } from "zod";
import {
  BACKUP_ID_REGEX,
  BACKUP_TYPES,
  BackupNamespace,
  MAX_NAMESPACE_DEPTH,
  checkDatastoreName,
} from "../datastore/names";
import { errorMessage } from "../datastore/errors";
import { checkMaintenanceMessage } from "../datastore/maintenance";

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

/** A namespace path such as `a/b/c`; the empty string (the default) is the root namespace. */
export const namespaceSchema = z
  .string()
  .default("")
  .superRefine(engineCheck((s: string) => BackupNamespace.parse(s)));

export const maxDepthSchema = z.number().int().min(0).max(MAX_NAMESPACE_DEPTH);

export const groupRefSchema = z.strictObject({
  type: z.enum(BACKUP_TYPES),
  id: z.string().regex(BACKUP_ID_REGEX, "invalid backup id: use A-Z a-z 0-9 _ . - (not starting with . or -)"),
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

/** PBS keep options, in its order (server/datastore/prune.ts KEEP_OPTION_NAMES; a test keeps them equal). */
export const KEEP_OPTIONS = ["keep-last", "keep-hourly", "keep-daily", "keep-weekly", "keep-monthly", "keep-yearly"] as const;
export type KeepOptionName = (typeof KEEP_OPTIONS)[number];

/** One keep count: a whole number of at least 1 (PBS); leave it out for "not used". */
export const keepCountSchema = z.number().int("a keep count is a whole number").min(1, "a keep count is at least 1").max(100_000);

/** The keep options of a prune; unknown keys are refused. Shared by the API and the Prune dialog. */
export const keepOptionsSchema = z
  .object(Object.fromEntries(KEEP_OPTIONS.map((k) => [k, keepCountSchema.optional()])) as Record<KeepOptionName, z.ZodOptional<typeof keepCountSchema>>)
  .strict();
