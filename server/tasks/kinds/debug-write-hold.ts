/**
 * `debug-write-hold`: a test-only task that opens a datastore for writing, as a backup or a move
 * would, and holds that write operation for `seconds` (checking for abort every 100 ms), so that
 * the maintenance drain (active operations, the console's spinner) can be watched end to end.
 * It changes nothing in the store. Opening is subject to the maintenance mode like any write:
 * in read-only maintenance the task ends `TASK ERROR: datastore '<store>' is unavailable: ...`.
 */
import { z } from "zod";

import { storeNameSchema } from "../../datastore/model/schemas";
import { withDatastore } from "../../datastore";
import type { TaskKind } from "../core/registry";

const STEP_MS = 100;

export const debugWriteHoldArgs = z.strictObject({
  store: storeNameSchema,
  /** How long to hold the write operation. */
  seconds: z.number().min(0).max(3600),
});

export type DebugWriteHoldArgs = z.infer<typeof debugWriteHoldArgs>;

export const debugWriteHoldKind: TaskKind<DebugWriteHoldArgs> = {
  type: "debug-write-hold",
  args: debugWriteHoldArgs,
  workerId: (a) => a.store,
  async run(ctx, a) {
    await withDatastore(a.store, "write", async (ds) => {
      ctx.log.info(`holding a write operation on datastore '${a.store}' for ${a.seconds} s`);
      const end = Date.now() + a.seconds * 1000;
      while (Date.now() < end) {
        ctx.checkAbort();
        await new Promise((r) => setTimeout(r, Math.min(STEP_MS, Math.max(0, end - Date.now()))));
      }
      ctx.checkAbort();
      ctx.log.info("releasing the write operation");
    });
  },
};
