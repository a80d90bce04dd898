/**
 * Task kind `garbage_collection` (PBS worker type; worker id = the datastore name, reference
 * 5.1). Opens the datastore for `write`, as PBS does: read-only or offline maintenance refuses
 * a GC, and the running GC counts as a write operation until it ends. A run that ends well is
 * appended to the store's GC history (server/datastore/gc-history.ts) for the console's chart.
 */
import { z } from "zod";

import { errorMessage } from "../../datastore/model/errors";
import { garbageCollection } from "../../datastore";
import { appendGcHistory, gcHistoryEntry } from "../../datastore";
import { storeNameSchema } from "../../datastore/model/schemas";
import { withDatastore } from "../../datastore";
import type { TaskKind } from "../core/registry";

export const gcArgs = z.strictObject({ store: storeNameSchema });
export type GcArgs = z.infer<typeof gcArgs>;

export const gcKind: TaskKind<GcArgs> = {
  type: "garbage_collection",
  args: gcArgs,
  workerId: (a) => a.store,
  async run(ctx, a) {
    await withDatastore(a.store, "write", async (ds) => {
      const status = await garbageCollection(ds, { upid: ctx.upid, log: ctx.log, signal: ctx.signal });
      try {
        await appendGcHistory(a.store, gcHistoryEntry(ctx.upid, Math.floor(Date.now() / 1000), status));
      } catch (err) {
        // The history is a convenience; the GC itself did its work.
        ctx.log.warn(`unable to record GC history - ${errorMessage(err)}`);
      }
    });
  },
};
