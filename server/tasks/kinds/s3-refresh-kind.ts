/**
 * Task kind `s3-refresh` (PBS worker type; worker id = the datastore name): rebuilds an S3
 * datastore's local cache from its bucket under `s3-refresh` maintenance.
 */
import { z } from "zod";
import { refreshDatastore } from "../../datastore";
import { storeNameSchema } from "../../datastore/model/schemas";
import type { TaskKind } from "../core/registry";

export const s3RefreshArgs = z.strictObject({ store: storeNameSchema });
export type S3RefreshArgs = z.infer<typeof s3RefreshArgs>;

export const s3RefreshKind: TaskKind<S3RefreshArgs> = {
  type: "s3-refresh",
  args: s3RefreshArgs,
  workerId: (a) => a.store,
  async run(ctx, a) {
    await refreshDatastore(a.store, { log: ctx.log, signal: ctx.signal });
  },
};
