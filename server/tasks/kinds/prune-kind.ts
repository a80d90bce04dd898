/**
 * Task kind `prune`: prunes one group (PBS `prune` with `use-task`, worker id
 * `store:ns:type/id`, reference pbs-api-ui.md 2.5). Each keep option is at least 1, as the API
 * has it; with none, everything is kept (and the task says so with a warning).
 */
import { z } from "zod";
import { BackupNamespace } from "../../datastore/model/names";
import { backupIdSchema, backupTypeSchema, keepCountSchema, namespaceSchema, storeNameSchema } from "../../datastore/model/schemas";
import { withDatastore } from "../../datastore";
import { pruneGroup } from "../../datastore";
import type { TaskKind } from "../core/registry";

const keepCount = keepCountSchema.optional();

export const pruneArgs = z
  .object({
    store: storeNameSchema,
    ns: namespaceSchema,
    "backup-type": backupTypeSchema,
    "backup-id": backupIdSchema,
    "keep-last": keepCount,
    "keep-hourly": keepCount,
    "keep-daily": keepCount,
    "keep-weekly": keepCount,
    "keep-monthly": keepCount,
    "keep-yearly": keepCount,
  })
  .strict();

export type PruneArgs = z.infer<typeof pruneArgs>;

export const pruneKind: TaskKind<PruneArgs> = {
  type: "prune",
  args: pruneArgs,
  workerId: (a) => `${a.store}:${a.ns}:${a["backup-type"]}/${a["backup-id"]}`,
  async run(ctx, a) {
    await withDatastore(a.store, "write", async (ds) => {
      const { store: _s, ns, "backup-type": type, "backup-id": id, ...keep } = a;
      await pruneGroup(ds, BackupNamespace.parse(ns), { type, id }, keep, {
        log: ctx.log,
        signal: ctx.signal,
      });
    });
  },
};
