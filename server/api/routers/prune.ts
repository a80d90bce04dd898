/**
 * Pruning one group (PBS POST /admin/datastore/{store}/prune, reference pbs-api-ui.md 2.5): the
 * dry run as a query (a read handle, it changes nothing), and the prune as a `prune` task
 * (PBS `use-task`). Keep options are each at least 1; with none, everything is kept.
 */
import { z } from "zod";
import { BackupNamespace } from "../../datastore/model/names";
import { openDatastore } from "../../datastore/open";
import { KEEP_OPTION_NAMES, type KeepOptions, planPrune } from "../../datastore/prune/prune";
import { startTask } from "../../tasks";
import type { Access } from "../init";
import { procedure, router } from "../init";
import { checkGroupOwner } from "./group";
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
  dryRun: procedure(pruneAccess, pruneInput).query(async ({ ctx, input }) => {
    const ds = await openDatastore(input.store, "read");
    try {
      await checkGroupOwner(ctx.auth, ds, BackupNamespace.parse(input.ns), input.group);
      const plan = await planPrune(ds, BackupNamespace.parse(input.ns), input.group, input.keep as KeepOptions);
      const rows: PruneDryRunRow[] = plan.entries
        .map((e) => ({
          "backup-time": e.snapshot.time,
          mark: e.mark === "protected" || e.mark === "keep-partial" ? e.mark : e.keep ? ("keep" as const) : ("remove" as const),
          keep: e.keep,
          protected: e.mark === "protected",
        }))
        .reverse();
      return { keepsSomething: plan.keepsSomething, rows };
    } finally {
      await ds.close();
    }
  }),

  /**
   * Starts the `prune` task. The write open fails fast for maintenance (PRECONDITION_FAILED)
   * and an unknown store or group (NOT_FOUND); the task decides again for itself.
   */
  start: procedure(pruneAccess, pruneInput).mutation(async ({ ctx, input }) => {
    const ds = await openDatastore(input.store, "write");
    try {
      await ds.group(BackupNamespace.parse(input.ns), input.group);
      // Prune without Modify: only the caller's own groups (PBS "Prune + owner").
      await checkGroupOwner(ctx.auth, ds, BackupNamespace.parse(input.ns), input.group);
    } finally {
      await ds.close();
    }
    return startTask(
      "prune",
      { store: input.store, ns: input.ns, "backup-type": input.group.type, "backup-id": input.group.id, ...input.keep },
      { authId: ctx.auth.authId ?? AUTH_ID },
    );
  }),
});
