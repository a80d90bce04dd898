/**
 * Task kinds `verify`, `verify_group` and `verify_snapshot` (PBS worker types; the scope follows
 * the arguments given, reference pbs-api-ui.md 2.5). Worker ids as PBS forms them: `store` or
 * `store:ns`, `store:ns/type/id`, `store:ns/type/id/TIMEHEX8`. Verify is a read operation, so it
 * runs in read-only maintenance too.
 */
import { z } from "zod";
import { CofferError } from "../../datastore/model/errors";
import { BackupNamespace } from "../../datastore/model/names";
import { backupIdSchema, backupTypeSchema, maxDepthSchema, namespaceSchema, storeNameSchema } from "../../datastore/model/schemas";
import { withDatastore } from "../../datastore";
import { VERIFY_FAILED_MESSAGE, verifyBackups, type VerifyScope } from "../../datastore";
import type { TaskContext, TaskKind } from "../core/registry";

const common = {
  store: storeNameSchema,
  ns: namespaceSchema,
  "ignore-verified": z.boolean().default(true),
  "outdated-after": z.number().int().min(0).optional(),
};

export const verifyArgs = z.object({ ...common, "max-depth": maxDepthSchema.optional() }).strict();
export const verifyGroupArgs = z.object({ ...common, "backup-type": backupTypeSchema, "backup-id": backupIdSchema }).strict();
export const verifySnapshotArgs = z
  .object({ ...common, "backup-type": backupTypeSchema, "backup-id": backupIdSchema, "backup-time": z.number().int().min(0).max(0xffffffff) })
  .strict();

export type VerifyArgs = z.infer<typeof verifyArgs>;
export type VerifyGroupArgs = z.infer<typeof verifyGroupArgs>;
export type VerifySnapshotArgs = z.infer<typeof verifySnapshotArgs>;

const hex8 = (t: number) => t.toString(16).toUpperCase().padStart(8, "0");

export async function runVerify(ctx: TaskContext, a: z.infer<typeof verifyArgs>, scope: VerifyScope): Promise<void> {
  await withDatastore(a.store, "read", async (ds) => {
    const result = await verifyBackups(ds, scope, {
      upid: ctx.upid,
      ignoreVerified: a["ignore-verified"],
      outdatedAfter: a["outdated-after"],
      log: ctx.log,
      signal: ctx.signal,
    });
    if (result.failed.length > 0) throw new CofferError("INTERNAL", VERIFY_FAILED_MESSAGE);
  });
}

export const verifyKind: TaskKind<VerifyArgs> = {
  type: "verify",
  args: verifyArgs,
  workerId: (a) => (a.ns === "" ? a.store : `${a.store}:${a.ns}`),
  run: (ctx, a) => runVerify(ctx, a, { kind: "datastore", ns: BackupNamespace.parse(a.ns), maxDepth: a["max-depth"] }),
};

export const verifyGroupKind: TaskKind<VerifyGroupArgs> = {
  type: "verify_group",
  args: verifyGroupArgs,
  workerId: (a) => `${a.store}:${a.ns}/${a["backup-type"]}/${a["backup-id"]}`,
  run: (ctx, a) =>
    runVerify(ctx, a, {
      kind: "group",
      ns: BackupNamespace.parse(a.ns),
      group: { type: a["backup-type"], id: a["backup-id"] },
    }),
};

export const verifySnapshotKind: TaskKind<VerifySnapshotArgs> = {
  type: "verify_snapshot",
  args: verifySnapshotArgs,
  workerId: (a) => `${a.store}:${a.ns}/${a["backup-type"]}/${a["backup-id"]}/${hex8(a["backup-time"])}`,
  run: (ctx, a) =>
    runVerify(ctx, a, {
      kind: "snapshot",
      ns: BackupNamespace.parse(a.ns),
      snapshot: { type: a["backup-type"], id: a["backup-id"], time: a["backup-time"] },
    }),
};
