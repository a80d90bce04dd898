/** Backup groups of one namespace (PBS GET /admin/datastore/{store}/groups). */
import { z } from "zod";
import { openDatastore } from "../../datastore/open";
import { BackupNamespace } from "../../datastore/names";
import { publicProcedure, router } from "../init";
import { namespaceSchema, storeNameSchema } from "../schemas";

export const groupRouter = router({
  /** Not recursive; empty groups included (PBS 4.2). */
  list: publicProcedure
    .input(z.object({ store: storeNameSchema, ns: namespaceSchema }))
    .query(async ({ input }) => {
      const ds = await openDatastore(input.store, "read");
      try {
        return await ds.listGroups(BackupNamespace.parse(input.ns));
      } finally {
        await ds.close();
      }
    }),
});
