/**
 * A datastore's maintenance mode and its active operations (PBS: the `maintenance-mode` property
 * of /config/datastore/{store}, GET /admin/datastore/{store}/active-operations; reference
 * pbs-api-ui.md 2.1, 5, 7.4). Watching uses lookup handles only, so the console looking at a
 * store never counts as an operation on it (DESIGN.md 4).
 */
import { z } from "zod";
import { setMaintenanceMode } from "../../config/datastore-config";
import { maintenanceStatus } from "../../datastore";
import { openDatastore, type LookupHandle } from "../../datastore";
import type { ActiveOperationCounts } from "../../datastore/model/types";
import { procedure, router, toTRPCError } from "../init";
import { maintenanceSetSchema, storeNameSchema } from "../schemas";

/** How often the subscription reads the active-operations file (PBS's UI polls every 3 s). */
export const ACTIVE_OPERATIONS_POLL_MS = 500;

/** `coffer maintenance show --output-format json` has the same shape (DESIGN.md 9). */
const show = maintenanceStatus;

export type MaintenanceState = Awaited<ReturnType<typeof show>>;

const storeInput = z.strictObject({ store: storeNameSchema });

export const maintenanceRouter = router({
  get: procedure({ path: "store", privileges: ["Datastore.Audit"] }, storeInput).query(({ input }) => show(input.store)),

  /** Sets read-only / offline (with an optional message) or ends maintenance (`none`). */
  set: procedure({ path: "store", privileges: ["Datastore.Modify"] }, maintenanceSetSchema).mutation(async ({ input }) => {
    const message = input.message || undefined; // an empty message is no message
    await setMaintenanceMode(input.store, input.mode === "none" ? undefined : { type: input.mode, message });
    return show(input.store);
  }),

  /**
   * The store's `{read, write}` counts: once at once, then whenever they change. The file is
   * read every ACTIVE_OPERATIONS_POLL_MS through one lookup handle (no operation counted, no
   * config lock per poll); the stream ends when the client goes away.
   */
  activeOperations: procedure({ path: "store", privileges: ["Datastore.Audit"] }, storeInput).subscription(async ({ input, signal }) => {
    // Opened before the stream starts, so an unknown store is NOT_FOUND, not a broken stream.
    const ds = await openDatastore(input.store, "lookup");
    return watchActiveOperations(ds, signal);
  }),
});

async function* watchActiveOperations(ds: LookupHandle, signal: AbortSignal | undefined) {
  try {
    let last: ActiveOperationCounts | undefined;
    while (!signal?.aborted) {
      const now = await ds.activeOperations();
      if (!last || now.read !== last.read || now.write !== last.write) {
        last = now;
        yield now;
      }
      await sleep(ACTIVE_OPERATIONS_POLL_MS, signal);
    }
  } catch (err) {
    throw toTRPCError(err); // errors inside a stream bypass the error-mapping middleware
  } finally {
    await ds.close();
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done);
  });
}
