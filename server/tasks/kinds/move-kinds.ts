/**
 * Task kinds `move-group` and `move-namespace` (PBS worker types and ids, reference 4.1). The
 * pre-flight check ran before the task was started (see server/cli/commands/move.ts and the
 * API); the worker runs it again, authoritatively (reference 4.2).
 */
import { z } from "zod";
import { moveGroup, moveNamespace, withDatastore } from "../../datastore";
import { BackupNamespace } from "../../datastore/model/names";
import { backupIdSchema, backupTypeSchema, maxDepthSchema, namespacePathSchema, storeNameSchema } from "../../datastore/model/schemas";
import type { MoveTaskType } from "../../datastore/model/task-types";
import type { TaskKind } from "../core/registry";

export const moveGroupArgs = z.strictObject({
  store: storeNameSchema,
  ns: namespacePathSchema,
  type: backupTypeSchema,
  id: backupIdSchema,
  "target-ns": namespacePathSchema,
  "merge-group": z.boolean().default(true),
});
export type MoveGroupArgs = z.infer<typeof moveGroupArgs>;

export const moveNamespaceArgs = z.strictObject({
  store: storeNameSchema,
  ns: namespacePathSchema,
  "target-ns": namespacePathSchema,
  "max-depth": maxDepthSchema.optional(),
  "delete-source": z.boolean().default(true),
  "merge-groups": z.boolean().default(true),
});
export type MoveNamespaceArgs = z.infer<typeof moveNamespaceArgs>;

export const moveGroupKind: TaskKind<MoveGroupArgs> = {
  type: "move-group" satisfies MoveTaskType,
  args: moveGroupArgs,
  workerId: (a) => `${a.store}:${a.ns}/${a.type}/${a.id}:${a["target-ns"]}`,
  async run(ctx, a) {
    await withDatastore(a.store, "write", async (ds) => {
      await moveGroup(
        ds,
        BackupNamespace.parse(a.ns),
        { type: a.type, id: a.id },
        BackupNamespace.parse(a["target-ns"]),
        a["merge-group"],
        ctx.log,
        ctx.signal,
      );
    });
  },
};

export const moveNamespaceKind: TaskKind<MoveNamespaceArgs> = {
  type: "move-namespace" satisfies MoveTaskType,
  args: moveNamespaceArgs,
  workerId: (a) => `${a.store}:${a.ns}:${a["target-ns"]}`,
  async run(ctx, a) {
    await withDatastore(a.store, "write", async (ds) => {
      await moveNamespace(
        ds,
        BackupNamespace.parse(a.ns),
        BackupNamespace.parse(a["target-ns"]),
        { maxDepth: a["max-depth"], deleteSource: a["delete-source"], mergeGroups: a["merge-groups"] },
        ctx.log,
        ctx.signal,
      );
    });
  },
};
