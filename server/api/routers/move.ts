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
 * and target. `Access` names one path, the source's; the target's check comes with the ACL
 * middleware.
 */
import { z } from "zod";
import { checkMoveGroup, checkMoveNamespace } from "../../datastore/move-checks";
import { planMoveGroup, planMoveNamespace } from "../../datastore/move-plan";
import { BackupNamespace, type GroupRef } from "../../datastore/names";
import { openDatastore, storeOf } from "../../datastore/open";
import { startTask } from "../../tasks";
import type { Access } from "../init";
import { publicProcedure, router } from "../init";
import { groupRefSchema, maxDepthSchema, namespaceSchema, storeNameSchema } from "../schemas";

/** The console acts as the datastore's local superuser until users exist (DESIGN.md 13). */
const AUTH_ID = "root@pam";

const groupAccess: Access = { path: "ns", privileges: ["Datastore.Modify"], ownerPrivileges: ["Datastore.Prune"] };
const namespaceAccess: Access = { path: "ns-parent", privileges: ["Datastore.Modify"] };

const moveGroupInput = z.object({
  store: storeNameSchema,
  ns: namespaceSchema,
  group: groupRefSchema,
  targetNs: namespaceSchema,
  mergeGroup: z.boolean().default(true),
});

const moveNamespaceInput = z.object({
  store: storeNameSchema,
  ns: namespaceSchema,
  targetNs: namespaceSchema,
  /** Levels below `ns` that take part; unset: the whole subtree. */
  maxDepth: maxDepthSchema.optional(),
  deleteSource: z.boolean().default(true),
  mergeGroups: z.boolean().default(true),
});

/**
 * Opens the store for write (as the move will: read-only and offline maintenance refuse it
 * here already) and runs `fn` with its content store.
 */
async function withWriteStore<T>(store: string, fn: (s: ReturnType<typeof storeOf>) => Promise<T>): Promise<T> {
  const ds = await openDatastore(store, "write");
  try {
    return await fn(storeOf(ds));
  } finally {
    await ds.close();
  }
}

export const moveRouter = router({
  /** The exact plan of a group move; changes nothing. A refused pre-flight check is an error. */
  planGroup: publicProcedure
    .meta({ access: groupAccess })
    .input(moveGroupInput)
    .query(({ input }) =>
      withWriteStore(input.store, (s) =>
        planMoveGroup(s, BackupNamespace.parse(input.ns), input.group as GroupRef, BackupNamespace.parse(input.targetNs), input.mergeGroup),
      ),
    ),

  /** The exact plan of a namespace move; changes nothing. A refused pre-flight check is an error. */
  planNamespace: publicProcedure
    .meta({ access: namespaceAccess })
    .input(moveNamespaceInput)
    .query(({ input }) =>
      withWriteStore(input.store, (s) =>
        planMoveNamespace(s, BackupNamespace.parse(input.ns), BackupNamespace.parse(input.targetNs), {
          maxDepth: input.maxDepth,
          deleteSource: input.deleteSource,
          mergeGroups: input.mergeGroups,
        }),
      ),
    ),

  /** Pre-flight check, then the `move-group` task. */
  startGroup: publicProcedure
    .meta({ access: groupAccess })
    .input(moveGroupInput)
    .mutation(async ({ input }) => {
      await withWriteStore(input.store, (s) =>
        checkMoveGroup(s, BackupNamespace.parse(input.ns), BackupNamespace.parse(input.targetNs), input.group, input.mergeGroup),
      );
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
        { authId: AUTH_ID },
      );
    }),

  /** Pre-flight check, then the `move-namespace` task. */
  startNamespace: publicProcedure
    .meta({ access: namespaceAccess })
    .input(moveNamespaceInput)
    .mutation(async ({ input }) => {
      await withWriteStore(input.store, (s) =>
        checkMoveNamespace(s, BackupNamespace.parse(input.ns), BackupNamespace.parse(input.targetNs)),
      );
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
        { authId: AUTH_ID },
      );
    }),
});
