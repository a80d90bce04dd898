/**
 * Task kind `prune`: prunes one group (PBS `prune` with `use-task`, worker id
 * `store:ns:type/id`, reference pbs-api-ui.md 2.5). Each keep option is at least 1, as the API
 * has it; with none, everything is kept (and the task says so with a warning).
 */
import { z } from "zod";
import { BackupNamespace, checkBackupId, checkBackupType, checkDatastoreName } from "../../datastore/model/names";
import { openDatastore } from "../../datastore";
import { pruneGroup } from "../../datastore";
import type { TaskKind } from "../core/registry";

const keepCount = z.number().int().min(1).optional();

export const pruneArgs = z
  .object({
    store: z.string().refine((s) => { checkDatastoreName(s); return true; }, "invalid datastore name"),
    ns: z.string().refine((s) => { BackupNamespace.parse(s); return true; }, "invalid namespace").default(""),
    "backup-type": z.string().refine((s) => { checkBackupType(s); return true; }, "invalid backup type"),
    "backup-id": z.string().refine((s) => { checkBackupId(s); return true; }, "invalid backup id"),
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
    const ds = await openDatastore(a.store, "write");
    try {
      const { store: _s, ns, "backup-type": type, "backup-id": id, ...keep } = a;
      await pruneGroup(ds, BackupNamespace.parse(ns), { type: checkBackupType(type), id }, keep, {
        log: ctx.log,
        signal: ctx.signal,
      });
    } finally {
      await ds.close();
    }
  },
};
