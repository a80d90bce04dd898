/** Snapshots of one namespace or one group (PBS GET /admin/datastore/{store}/snapshots). */
import { z } from "zod";
import { openDatastore } from "../../datastore/open";
import { BackupNamespace } from "../../datastore/names";
import { publicProcedure, router } from "../init";
import { groupRefSchema, namespaceSchema, storeNameSchema } from "../schemas";

export const snapshotRouter = router({
  /** Not recursive into child namespaces; unfinished snapshots included (`finished: false`). */
  list: publicProcedure
    .input(z.object({ store: storeNameSchema, ns: namespaceSchema, group: groupRefSchema.optional() }))
    .query(async ({ input }) => {
      const ds = await openDatastore(input.store, "read");
      try {
        return await ds.listSnapshots(BackupNamespace.parse(input.ns), input.group);
      } finally {
        await ds.close();
      }
    }),
});
