/**
 * Backup groups of one namespace (PBS /admin/datastore/{store}/groups, group-notes,
 * change-owner). "X / Y+owner" in the access declarations: X on the namespace allows every
 * group, Y only groups the caller owns (reference pbs-api-ui 2.3, 3).
 */
import { z } from "zod";
import { GROUP_SORTS, pageGroups } from "../../datastore";
import { BackupNamespace, type GroupRef } from "../../datastore/model/names";
import { openDatastore, type ReadHandle } from "../../datastore";
import { parseAuthId } from "../../datastore/model/owner";
import { CofferError, errorMessage } from "../../datastore/model/errors";
import type { AuthState } from "../auth-middleware";
import { checkActiveAuthId } from "../../auth";
import { moveMayRun } from "../../tasks";
import { datastoreProcedure, procedure, router } from "../init";
import { groupRefSchema, namespaceSchema, pageSchema, storeNameSchema } from "../schemas";

const groupInput = z.strictObject({ store: storeNameSchema, ns: namespaceSchema, group: groupRefSchema });

const authIdSchema = z.string().superRefine((s, ctx) => {
  try {
    parseAuthId(s);
  } catch (err) {
    ctx.addIssue({ code: "custom", message: errorMessage(err) });
  }
});

export const groupRouter = router({
  /**
   * One page of a namespace's groups, filtered (case-insensitive, over `type/id`, owner and
   * notes) and sorted on the server, so that a namespace with 10,000 groups stays responsive.
   * Not recursive; empty groups included (PBS 4.2).
   */
  list: datastoreProcedure(
    { path: "ns", privileges: ["Datastore.Audit"], ownerPrivileges: ["Datastore.Backup"] },
    "read",
    z.strictObject({
      store: storeNameSchema,
      ns: namespaceSchema,
      filter: z.string().max(256).optional(),
      sort: z.enum(GROUP_SORTS).default("name"),
      desc: z.boolean().default(false),
      ...pageSchema,
    }),
  ).query(async ({ ctx, input }) => {
    const ownerFilter = ctx.auth.ownerOnly ? (owner: string | undefined) => owner !== undefined && ctx.auth.owns(owner) : undefined;
    return await pageGroups(ctx.ds, ctx.ns, { ...input, movesMayRun: moveMayRun(input.store), ...(ownerFilter ? { ownerFilter } : {}) });
  }),

  /** The group's full notes (the list carries only their first line). */
  notes: datastoreProcedure(
    { path: "ns", privileges: ["Datastore.Audit"], ownerPrivileges: ["Datastore.Backup"] },
    "read",
    groupInput,
  ).query(async ({ ctx, input }) => {
    return { notes: await ctx.ds.groupNotes(ctx.ns, input.group) };
  }),

  setNotes: datastoreProcedure(
    { path: "ns", privileges: ["Datastore.Modify"], ownerPrivileges: ["Datastore.Backup"] },
    "write",
    groupInput.extend({ notes: z.string().max(64 * 1024, "notes are limited to 64 KiB") }),
  ).mutation(async ({ ctx, input }) => {
    await ctx.ds.setGroupNotes(ctx.ns, input.group, input.notes);
  }),

  /**
   * PBS change-owner. Datastore.Modify allows any change; with only Datastore.Backup, ownership
   * may pass only between the caller and their own tokens (enforced with users and ACLs).
   */
  setOwner: datastoreProcedure(
    { path: "ns", privileges: ["Datastore.Modify"], ownerPrivileges: ["Datastore.Backup"] },
    "write",
    groupInput.extend({ owner: authIdSchema }),
  ).mutation(async ({ ctx, input }) => {
    // With only Backup, ownership may pass only between the caller and their own tokens (PBS).
    if (ctx.auth.ownerOnly) ctx.auth.checkOwner(input.owner);
    // PBS: the new owner must be an active user or token (no group handed to a typo).
    checkActiveAuthId(input.owner);
    await ctx.ds.setGroupOwner(ctx.ns, input.group, input.owner);
  }),

  /**
   * Destroys a group: every snapshot that is not protected (PBS DELETE groups). Protected
   * snapshots keep the group; that is an error (CONFLICT, after the others are gone, as in PBS)
   * unless `errorOnProtected` is false. Returns what was removed.
   */
  delete: datastoreProcedure(
    { path: "ns", privileges: ["Datastore.Modify"], ownerPrivileges: ["Datastore.Prune"] },
    "write",
    groupInput.extend({ errorOnProtected: z.boolean().default(true) }),
  ).mutation(async ({ ctx, input }) => {
    const stats = await ctx.ds.destroyGroup(ctx.ns, input.group);
    const kept = stats["protected-snapshots"];
    if (kept > 0 && input.errorOnProtected) {
      throw new CofferError(
        "CONFLICT",
        `group only partially deleted due to protected snapshots: ${stats["removed-snapshots"]} snapshot(s) removed, ${kept} protected snapshot(s) kept`,
      );
    }
    return stats;
  }),
});
