/**
 * Whole-datastore content queries for the console (a Coffer addition; PBS's UI filters only
 * what it has loaded): search finds namespaces and groups in every namespace the caller may
 * see, so that a match in a collapsed or deep namespace is found and shown with where it lives.
 */
import { z } from "zod";
import { GROUP_SORTS, locateGroup, locateSnapshot, searchContent } from "../../datastore";
import { datastoreProcedure, router } from "../init";
import { namespaceVisibility, ownedBy } from "../namespace-scope";
import { groupRefSchema, namespaceSchema, pageSchema, storeNameSchema } from "../schemas";

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

  /**
   * Where a linked group (and snapshot) sits in the console's paged listings, so that a link
   * to the 9,000th group of a namespace can load the page it is on: the group's index in
   * group.list's order for `sort`/`desc` (owner limits applied as there), and the snapshot's in
   * snapshot.list's. -1 where it is not (any more).
   */
  locate: datastoreProcedure(
    { path: "ns", privileges: ["Datastore.Audit"], ownerPrivileges: ["Datastore.Backup"] },
    "read",
    z.strictObject({
      store: storeNameSchema,
      ns: namespaceSchema,
      group: groupRefSchema,
      time: z.number().int().min(0).optional(),
      sort: z.enum(GROUP_SORTS).default("name"),
      desc: z.boolean().default(false),
    }),
  ).query(async ({ ctx, input }) => {
    const ownerFilter = ctx.auth.ownerOnly ? (owner: string | undefined) => owner !== undefined && ctx.auth.owns(owner) : undefined;
    const groupIndex = await locateGroup(ctx.ds, ctx.ns, input.group, { sort: input.sort, desc: input.desc, ...(ownerFilter ? { ownerFilter } : {}) });
    const snapshotIndex = input.time === undefined || groupIndex < 0 ? undefined : await locateSnapshot(ctx.ds, ctx.ns, input.group, input.time);
    return { groupIndex, ...(snapshotIndex === undefined ? {} : { snapshotIndex }) };
  }),
});
