/**
 * Task kinds of scheduled jobs (PBS worker types `prunejob` and `verificationjob`, worker id
 * `<store>:<job id>`). The job's settings travel in the arguments, so the task runs what the
 * job said when it started even if the job is edited meanwhile. The GC job runs the ordinary
 * `garbage_collection` kind, as PBS's GC schedule does.
 */
import { z } from "zod";
import { CofferError, errorMessage } from "../../datastore/model/errors";
import { BackupNamespace, SAFE_ID_REGEX } from "../../datastore/model/names";
import { keepOptionsSchema, maxDepthSchema, namespaceSchema, storeNameSchema } from "../../datastore/model/schemas";
import { pruneGroup, withDatastore } from "../../datastore";
import type { TaskKind } from "../core/registry";
import { runVerify } from "./verify-kind";

const jobIdSchema = z.string().regex(SAFE_ID_REGEX).min(3).max(32);

export const pruneJobArgs = z
  .object({ id: jobIdSchema, store: storeNameSchema, ns: namespaceSchema, "max-depth": maxDepthSchema.optional() })
  .extend(keepOptionsSchema.shape)
  .strict();
export type PruneJobArgs = z.infer<typeof pruneJobArgs>;

export const pruneJobKind: TaskKind<PruneJobArgs> = {
  type: "prunejob",
  args: pruneJobArgs,
  workerId: (a) => `${a.store}:${a.id}`,
  async run(ctx, a) {
    const { id, store, ns, "max-depth": maxDepth, ...keep } = a;
    ctx.log.info(`prune job '${id}'`);
    let failed = 0;
    await withDatastore(store, "write", async (ds) => {
      const anchor = BackupNamespace.parse(ns);
      for (const item of await ds.listNamespaces(anchor, maxDepth)) {
        const where = BackupNamespace.parse(item.ns);
        for (const g of await ds.listGroups(where)) {
          ctx.checkAbort();
          const group = { type: g["backup-type"], id: g["backup-id"] };
          try {
            await pruneGroup(ds, where, group, keep, { log: ctx.log, signal: ctx.signal });
          } catch (err) {
            if (err instanceof CofferError && err.code === "ABORTED") throw err;
            failed++;
            // PBS goes on with the next group and fails the job at the end.
            ctx.log.error(`failed to prune ${group.type}/${group.id} in ${item.ns ? `namespace '${item.ns}'` : "the root namespace"} - ${errorMessage(err)}`);
          }
        }
      }
    });
    if (failed > 0) throw new CofferError("INTERNAL", `prune job failed: ${failed} group(s) could not be pruned`);
  },
};

export const verificationJobArgs = z
  .object({
    id: jobIdSchema,
    store: storeNameSchema,
    ns: namespaceSchema,
    "max-depth": maxDepthSchema.optional(),
    "ignore-verified": z.boolean().default(true),
    "outdated-after": z.number().int().min(0).optional(),
  })
  .strict();
export type VerificationJobArgs = z.infer<typeof verificationJobArgs>;

export const verificationJobKind: TaskKind<VerificationJobArgs> = {
  type: "verificationjob",
  args: verificationJobArgs,
  workerId: (a) => `${a.store}:${a.id}`,
  run: (ctx, a) => {
    ctx.log.info(`verify job '${a.id}'`);
    return runVerify(ctx, a, { kind: "datastore", ns: BackupNamespace.parse(a.ns), maxDepth: a["max-depth"] });
  },
};
