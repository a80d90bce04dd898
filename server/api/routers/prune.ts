/**
 * Pruning one group (PBS POST /admin/datastore/{store}/prune, reference pbs-api-ui.md 2.5): the
 * dry run as a query (a read handle, it changes nothing), and the prune as a `prune` task
 * (PBS `use-task`). Keep options are each at least 1; with none, everything is kept.
 */
import { z } from "zod";
import { BackupNamespace } from "../../datastore/model/names";
import { KEEP_OPTION_NAMES, type KeepOptions, planPrune } from "../../datastore";
import { startTask } from "../../tasks";
import type { Access } from "../init";
import { datastoreProcedure, router } from "../init";
import { groupRefSchema, KEEP_OPTIONS, keepOptionsSchema, namespaceSchema, storeNameSchema } from "../schemas";

/** The task user when the caller has no auth id (a local caller without HTTP, e.g. tests). */
const AUTH_ID = "root@pam";

/** Datastore.Modify on the namespace for any group, Datastore.Prune for the caller's own (PBS "M any / P+owner"). */
const pruneAccess: Access = { path: "ns", privileges: ["Datastore.Modify"], ownerPrivileges: ["Datastore.Prune"] };

// The shared schema lists the names itself (components import it, and must not pull in the engine).
const _sameNames: readonly (typeof KEEP_OPTION_NAMES)[number][] = KEEP_OPTIONS;

const pruneInput = z.strictObject({ store: storeNameSchema, ns: namespaceSchema, group: groupRefSchema, keep: keepOptionsSchema });

export interface PruneDryRunRow {
  "backup-time": number;
  /** `keep`, `remove`, `protected`, or `keep-partial` (an unfinished newest snapshot). */
  mark: "keep" | "remove" | "protected" | "keep-partial";
  keep: boolean;
  protected: boolean;
}

export const pruneRouter = router({
  /** What `start` would do, newest first; `keepsSomething: false` means everything stays. */
  dryRun: datastoreProcedure(pruneAccess, "read", pruneInput).query(async ({ ctx, input }) => {
    const plan = await planPrune(ctx.ds, ctx.ns, input.group, input.keep as KeepOptions);
    const rows: PruneDryRunRow[] = plan.entries
      .map((e) => ({
        "backup-time": e.snapshot.time,
        mark: e.mark === "protected" || e.mark === "keep-partial" ? e.mark : e.keep ? ("keep" as const) : ("remove" as const),
        keep: e.keep,
        protected: e.mark === "protected",
      }))
      .reverse();
    return { keepsSomething: plan.keepsSomething, rows };
  }),

  /**
   * Starts the `prune` task. The write open fails fast for maintenance (PRECONDITION_FAILED)
   * and an unknown store or group (NOT_FOUND); the task decides again for itself.
   */
  start: datastoreProcedure(pruneAccess, "write", pruneInput).mutation(async ({ ctx, input }) => {
    // NOT_FOUND here rather than a task that finds nothing. (With Prune but not Modify, the group
    // is the caller's: datastoreProcedure checked that.)
    await ctx.ds.group(ctx.ns, input.group);
    return startTask(
      "prune",
      { store: input.store, ns: input.ns, "backup-type": input.group.type, "backup-id": input.group.id, ...input.keep },
      { authId: ctx.auth.authId ?? AUTH_ID },
    );
  }),
});
