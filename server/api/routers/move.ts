/**
 * Moving groups and namespaces (PBS 4.2 move-group / move-namespace, DESIGN.md 6): the dry-run
 * plan as queries, and the moves themselves as tasks. The start mutations run the shared
 * pre-flight check first, so a refused request (same namespace, missing target, own subtree,
 * root source) is an error here and creates no task; everything else (merge rules, depth,
 * locks) is decided inside the task, which checks again authoritatively.
 *
 * Access (reference pbs-api-ui 3): move-group needs Datastore.Modify on the source namespace,
 * or Datastore.Prune there for an owned group, and on the target Datastore.Modify or
 * Datastore.Backup (owned group); move-namespace needs Datastore.Modify on the parents of source
 * and target. The middleware checks the declared `Access` on the source and the target side;
 * each procedure then applies the whole rule with checkMoveAccess / checkMoveNamespaceAccess,
 * reading the group's owner when ownership decides. Tasks run as the caller.
 */
import { z } from "zod";
import { checkMoveGroup, checkMoveNamespace } from "../../datastore";
import { planMoveGroup, planMoveNamespace } from "../../datastore";
import { BackupNamespace, type GroupRef } from "../../datastore/model/names";
import type { ReadHandle } from "../../datastore";
import { checkMoveAccess, checkMoveNamespaceAccess, privilegesAt, datastoreAclPath } from "../../auth";
import { startTask } from "../../tasks";
import type { AuthState } from "../auth-middleware";
import type { Access } from "../init";
import { datastoreProcedure, router } from "../init";
import { groupRefSchema, maxDepthSchema, namespaceSchema, storeNameSchema } from "../schemas";

const groupAccess: Access = { path: "ns", privileges: ["Datastore.Modify"], ownerPrivileges: ["Datastore.Prune"] };
const namespaceAccess: Access = { path: "ns-parent", privileges: ["Datastore.Modify"] };

const moveGroupInput = z.strictObject({
  store: storeNameSchema,
  ns: namespaceSchema,
  group: groupRefSchema,
  targetNs: namespaceSchema,
  mergeGroup: z.boolean().default(true),
});

const moveNamespaceInput = z.strictObject({
  store: storeNameSchema,
  ns: namespaceSchema,
  targetNs: namespaceSchema,
  /** Levels below `ns` that take part; unset: the whole subtree. */
  maxDepth: maxDepthSchema.optional(),
  deleteSource: z.boolean().default(true),
  mergeGroups: z.boolean().default(true),
});

/**
 * PBS 4.2's move-group rule. The owner is read only when the caller lacks Modify on a side, so
 * that an admin's move does not depend on a readable owner file.
 */
async function checkGroupMove(auth: AuthState, ds: ReadHandle, input: z.infer<typeof moveGroupInput>): Promise<void> {
  const authId = auth.authId;
  const full = (ns: string) =>
    authId !== undefined && privilegesAt(authId, datastoreAclPath(input.store, BackupNamespace.parse(ns))).has("Datastore.Modify");
  const owner = full(input.ns) && full(input.targetNs) ? undefined : await ds.groupOwner(BackupNamespace.parse(input.ns), input.group);
  checkMoveAccess(authId, input.store, input.ns, input.targetNs, owner);
}

/** The task's user: the caller (UPIDs and the task list show who moved what). */
function taskUser(auth: AuthState): string {
  return auth.authId!;
}

export const moveRouter = router({
  /**
   * The exact plan of a group move; changes nothing. A preview is a read: it works in read-only
   * maintenance. A refused pre-flight check is an error.
   */
  planGroup: datastoreProcedure(groupAccess, "read", moveGroupInput).query(async ({ ctx, input }) => {
    await checkGroupMove(ctx.auth, ctx.ds, input);
    return planMoveGroup(ctx.ds, ctx.ns, input.group as GroupRef, BackupNamespace.parse(input.targetNs), input.mergeGroup);
  }),

  /** The exact plan of a namespace move; changes nothing (a read). A refused pre-flight check is an error. */
  planNamespace: datastoreProcedure(namespaceAccess, "read", moveNamespaceInput).query(({ ctx, input }) => {
    checkMoveNamespaceAccess(ctx.auth.authId, input.store, input.ns, input.targetNs);
    return planMoveNamespace(ctx.ds, ctx.ns, BackupNamespace.parse(input.targetNs), {
      maxDepth: input.maxDepth,
      deleteSource: input.deleteSource,
      mergeGroups: input.mergeGroups,
    });
  }),

  /**
   * Pre-flight check, then the `move-group` task. Opened for write, as the move will be: read-only
   * and offline maintenance refuse it here, before any task exists.
   */
  startGroup: datastoreProcedure(groupAccess, "write", moveGroupInput).mutation(async ({ ctx, input }) => {
    await checkGroupMove(ctx.auth, ctx.ds, input);
    await checkMoveGroup(ctx.ds, ctx.ns, BackupNamespace.parse(input.targetNs), input.group, input.mergeGroup);
    return startTask(
      "move-group",
      {
        store: input.store,
        ns: input.ns,
        type: input.group.type,
        id: input.group.id,
        "target-ns": input.targetNs,
        "merge-group": input.mergeGroup,
      },
      { authId: taskUser(ctx.auth) },
    );
  }),

  /** Pre-flight check (opened for write, as the move will be), then the `move-namespace` task. */
  startNamespace: datastoreProcedure(namespaceAccess, "write", moveNamespaceInput).mutation(async ({ ctx, input }) => {
    checkMoveNamespaceAccess(ctx.auth.authId, input.store, input.ns, input.targetNs);
    await checkMoveNamespace(ctx.ds, ctx.ns, BackupNamespace.parse(input.targetNs));
    return startTask(
      "move-namespace",
      {
        store: input.store,
        ns: input.ns,
        "target-ns": input.targetNs,
        ...(input.maxDepth === undefined ? {} : { "max-depth": input.maxDepth }),
        "delete-source": input.deleteSource,
        "merge-groups": input.mergeGroups,
      },
      { authId: taskUser(ctx.auth) },
    );
  }),
});
