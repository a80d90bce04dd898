/** Namespaces of a datastore (PBS GET /admin/datastore/{store}/namespace). */
import { z } from "zod";
import { openDatastore } from "../../datastore/open";
import { BackupNamespace, MAX_NAMESPACE_DEPTH } from "../../datastore/names";
import { publicProcedure, router } from "../init";
import { maxDepthSchema, namespaceSchema, storeNameSchema } from "../schemas";

export const namespaceRouter = router({
  /** Recursive from `parent`, including `parent` itself, pre-order (as PBS). */
  list: publicProcedure
    .input(
      z.object({
        store: storeNameSchema,
        parent: namespaceSchema,
        maxDepth: maxDepthSchema.default(MAX_NAMESPACE_DEPTH),
      }),
    )
    .query(async ({ input }) => {
      const ds = await openDatastore(input.store, "read");
      try {
        return await ds.listNamespaces(BackupNamespace.parse(input.parent), input.maxDepth);
      } finally {
        await ds.close();
      }
    }),
});
