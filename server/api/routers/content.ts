/**
 * Whole-datastore content queries for the console (a Coffer addition; PBS's UI filters only
 * what it has loaded): search finds namespaces and groups in every namespace the caller may
 * see, so that a match in a collapsed or deep namespace is found and shown with where it lives.
 */
import { z } from "zod";
import { searchContent } from "../../datastore";
import { datastoreProcedure, router } from "../init";
import { namespaceVisibility, ownedBy } from "../namespace-scope";
import { pageSchema, storeNameSchema } from "../schemas";

export const contentRouter = router({
  /**
   * Namespaces whose name contains `text` and groups whose `type/id`, owner or notes do
   * (case-insensitive), tree order, one page. Open to anyone who may see some namespace of
   * the store; each namespace is searched only as far as the caller may see it.
   */
  search: datastoreProcedure(
    {
      path: "store",
      privileges: ["Datastore.Audit", "Datastore.Backup"],
      belowPrivileges: ["Datastore.Audit", "Datastore.Backup"],
    },
    "read",
    z.strictObject({
      store: storeNameSchema,
      text: z
        .string()
        .trim()
        .min(1, "enter something to search for")
        .max(256, "search for at most 256 characters"),
      ...pageSchema,
    }),
  ).query(async ({ ctx, input }) => {
    const authId = ctx.auth.authId!;
    return searchContent(ctx.ds, {
      text: input.text,
      visibility: namespaceVisibility(authId, input.store),
      owns: ownedBy(authId),
      offset: input.offset,
      limit: input.limit,
    });
  }),
});
