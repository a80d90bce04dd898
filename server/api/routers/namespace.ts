/**
 * Namespaces of a datastore (PBS /admin/datastore/{store}/namespace): list, create, delete.
 * Create and delete need Datastore.Modify on the parent namespace (reference pbs-api-ui 2.2).
 */
import { z } from "zod";
import { BackupNamespace, MAX_NAMESPACE_DEPTH, SAFE_ID_REGEX } from "../../datastore/model/names";
import type { NamespaceListItem } from "../../datastore/model/types";
import { datastoreAclPath, privilegesAt, type Privilege } from "../../auth";
import { datastoreProcedure, router } from "../init";
import { maxDepthSchema, namespaceSchema, storeNameSchema } from "../schemas";

/** Any of these on a namespace shows it in the list (PBS list_namespaces). */
const SEE_NAMESPACE: Privilege[] = ["Datastore.Audit", "Datastore.Modify", "Datastore.Read", "Datastore.Backup"];

export const namespaceRouter = router({
  /**
   * Recursive from `parent`, including `parent` itself, pre-order (as PBS), without the
   * namespaces where the caller has no privilege (NoAccess further down, PBS). A caller whose
   * roles start further down (alice with DatastoreReader on `/datastore/s/prod` only) may list
   * from above them too: the namespaces between `parent` and the ones she may see are listed
   * as `pathOnly`, so that she can walk down to them, and nothing else is (the same for a
   * NoAccess namespace with a visible one below it).
   */
  list: datastoreProcedure(
    { path: "ns", privileges: SEE_NAMESPACE, belowPrivileges: SEE_NAMESPACE },
    "read",
    z.strictObject({
      store: storeNameSchema,
      parent: namespaceSchema,
      maxDepth: maxDepthSchema.default(MAX_NAMESPACE_DEPTH),
    }),
  ).query(async ({ ctx, input }) => {
    const all = await ctx.ds.listNamespaces(BackupNamespace.parse(input.parent), input.maxDepth);
    const authId = ctx.auth.authId!;
    const seen = all.filter((n) => {
      const have = privilegesAt(authId, datastoreAclPath(input.store, BackupNamespace.parse(n.ns)));
      return SEE_NAMESPACE.some((p) => have.has(p));
    });
    const visible = new Set(seen.map((n) => n.ns));
    const leadsToVisible = (ns: string) => seen.some((v) => ns === "" || v.ns.startsWith(`${ns}/`));
    return all.flatMap((n): NamespaceListItem[] => {
      if (visible.has(n.ns)) return [n];
      return leadsToVisible(n.ns) ? [{ ns: n.ns, pathOnly: true }] : [];
    });
  }),

  /** Creates `parent/name`; the parent must exist. Returns the new namespace's name. */
  create: datastoreProcedure(
    { path: "ns-parent", privileges: ["Datastore.Modify"] },
    "write",
    z.strictObject({
      store: storeNameSchema,
      parent: namespaceSchema,
      // The engine checks length, SAFE_ID and depth with PBS's texts; zod only keeps out the obvious.
      name: z
        .string()
        .min(1, "enter a name")
        .max(32, "at most 32 characters")
        .regex(SAFE_ID_REGEX, "use A-Z a-z 0-9 _ . - (not starting with . or -)"),
    }),
  ).mutation(async ({ ctx, input }) => {
    const ns = await ctx.ds.createNamespace(BackupNamespace.parse(input.parent), input.name);
    return { ns: ns.toString() };
  }),

  /**
   * Deletes a namespace and its empty children (PBS DELETE namespace). With `deleteGroups` its
   * groups are destroyed too; protected snapshots survive and make it partial, an error unless
   * `errorOnProtected` is false. Returns what was removed.
   */
  delete: datastoreProcedure(
    { path: "ns-parent", privileges: ["Datastore.Modify"] },
    "write",
    z.strictObject({
      store: storeNameSchema,
      ns: namespaceSchema,
      deleteGroups: z.boolean().default(false),
      errorOnProtected: z.boolean().default(true),
    }),
  ).mutation(async ({ ctx, input }) => {
    return ctx.ds.deleteNamespace(ctx.ns, {
      deleteGroups: input.deleteGroups,
      errorOnProtected: input.errorOnProtected,
    });
  }),
});
