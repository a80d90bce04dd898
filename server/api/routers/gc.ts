/**
 * Garbage collection (PBS GET/POST /admin/datastore/{store}/gc, reference pbs-api-ui.md 2.5):
 * the last run's status, and starting a run as a `garbage_collection` task.
 */
import { z } from "zod";
import { CofferError } from "../../datastore/model/errors";
import { startTask } from "../../tasks";
import { datastoreProcedure, router } from "../init";
import { gcJobStatus, runningGc } from "../job-status";
import { storeNameSchema } from "../schemas";

/** The task user when the caller has no auth id (a local caller without HTTP, e.g. tests). */
const AUTH_ID = "root@pam";

const storeInput = z.strictObject({ store: storeNameSchema });

export const gcRouter = router({
  /** GarbageCollectionJobStatus; all zero with no `upid` when no GC ever ran. Read access (offline refuses). */
  status: datastoreProcedure({ path: "store", privileges: ["Datastore.Audit"] }, "read", storeInput).query(({ ctx, input }) =>
    gcJobStatus(input.store, ctx.ds),
  ),

  /**
   * Starts a GC. Checked first, so a refused request creates no task: an unknown store is
   * NOT_FOUND, read-only or offline maintenance PRECONDITION_FAILED (GC is a write operation),
   * a GC already running CONFLICT. The task takes the GC lock itself, which closes the gap
   * between this check and the start.
   */
  start: datastoreProcedure({ path: "store", privileges: ["Datastore.Modify"] }, "write", storeInput).mutation(async ({ ctx, input }) => {
    const running = await runningGc(input.store);
    if (running) {
      throw new CofferError(
        "CONFLICT",
        `Start GC failed - (already running/locked): garbage collection of datastore '${input.store}' is running as task ${running.upid}`,
      );
    }
    return startTask("garbage_collection", { store: input.store }, { authId: ctx.auth.authId ?? AUTH_ID });
  }),
});
