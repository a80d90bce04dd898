/**
 * Backup groups of one namespace (PBS /admin/datastore/{store}/groups, group-notes,
 * change-owner). "X / Y+owner" in the access declarations: X on the namespace allows every
 * group, Y only groups the caller owns (reference pbs-api-ui 2.3, 3).
 */
import { z } from "zod";
import { GROUP_SORTS, pageGroups } from "../../datastore/content/listing-page";
import { BackupNamespace, type GroupRef } from "../../datastore/model/names";
import { openDatastore, type ReadHandle } from "../../datastore/open";
import { parseAuthId } from "../../datastore/model/owner";
import { CofferError, errorMessage } from "../../datastore/model/errors";
import type { AuthState } from "../auth-middleware";
import { checkActiveAuthId } from "../../auth";
import { procedure, router } from "../init";
import { groupRefSchema, namespaceSchema, pageSchema, storeNameSchema } from "../schemas";

const groupInput = z.strictObject({ store: storeNameSchema, ns: namespaceSchema, group: groupRefSchema });

const authIdSchema = z.string().superRefine((s, ctx) => {
  try {
    parseAuthId(s);
  } catch (err) {
    ctx.addIssue({ code: "custom", message: errorMessage(err) });
  }
});

/**
 * PBS's owner check for callers that got in only through Backup or Prune: the group must be
 * theirs (or one of their tokens'). Callers with the full privilege pass without reading.
 */
export async function checkGroupOwner(auth: AuthState, ds: ReadHandle, ns: BackupNamespace, group: GroupRef): Promise<void> {
  if (auth.ownerOnly) auth.checkOwner(await ds.groupOwner(ns, group));
}

export const groupRouter = router({
  /**
   * One page of a namespace's groups, filtered (case-insensitive, over `type/id`, owner and
   * notes) and sorted on the server, so that a namespace with 10,000 groups stays responsive.
   * Not recursive; empty groups included (PBS 4.2).
   */
  list: procedure(
    { path: "ns", privileges: ["Datastore.Audit"], ownerPrivileges: ["Datastore.Backup"] },
    z.strictObject({
      store: storeNameSchema,
      ns: namespaceSchema,
      filter: z.string().max(256).optional(),
      sort: z.enum(GROUP_SORTS).default("name"),
      desc: z.boolean().default(false),
      ...pageSchema,
    }),
  ).query(async ({ ctx, input }) => {
    const ds = await openDatastore(input.store, "read");
    try {
      const ownerFilter = ctx.auth.ownerOnly ? (owner: string | undefined) => owner !== undefined && ctx.auth.owns(owner) : undefined;
      return await pageGroups(ds, BackupNamespace.parse(input.ns), { ...input, ...(ownerFilter ? { ownerFilter } : {}) });
    } finally {
      await ds.close();
    }
  }),

  /** The group's full notes (the list carries only their first line). */
  notes: procedure({ path: "ns", privileges: ["Datastore.Audit"], ownerPrivileges: ["Datastore.Backup"] }, groupInput).query(
    async ({ ctx, input }) => {
      const ds = await openDatastore(input.store, "read");
      try {
        await checkGroupOwner(ctx.auth, ds, BackupNamespace.parse(input.ns), input.group);
        return { notes: await ds.groupNotes(BackupNamespace.parse(input.ns), input.group) };
      } finally {
        await ds.close();
      }
    },
  ),

  setNotes: procedure(
    { path: "ns", privileges: ["Datastore.Modify"], ownerPrivileges: ["Datastore.Backup"] },
    groupInput.extend({ notes: z.string().max(64 * 1024, "notes are limited to 64 KiB") }),
  ).mutation(async ({ ctx, input }) => {
    const ds = await openDatastore(input.store, "write");
    try {
      await checkGroupOwner(ctx.auth, ds, BackupNamespace.parse(input.ns), input.group);
      await ds.setGroupNotes(BackupNamespace.parse(input.ns), input.group, input.notes);
    } finally {
      await ds.close();
    }
  }),

  /**
   * PBS change-owner. Datastore.Modify allows any change; with only Datastore.Backup, ownership
   * may pass only between the caller and their own tokens (enforced with users and ACLs).
   */
  setOwner: procedure(
    { path: "ns", privileges: ["Datastore.Modify"], ownerPrivileges: ["Datastore.Backup"] },
    groupInput.extend({ owner: authIdSchema }),
  ).mutation(async ({ ctx, input }) => {
    const ds = await openDatastore(input.store, "write");
    try {
      await checkGroupOwner(ctx.auth, ds, BackupNamespace.parse(input.ns), input.group);
      // With only Backup, ownership may pass only between the caller and their own tokens (PBS).
      if (ctx.auth.ownerOnly) ctx.auth.checkOwner(input.owner);
      // PBS: the new owner must be an active user or token (no group handed to a typo).
      checkActiveAuthId(input.owner);
      await ds.setGroupOwner(BackupNamespace.parse(input.ns), input.group, input.owner);
    } finally {
      await ds.close();
    }
  }),

  /**
   * Destroys a group: every snapshot that is not protected (PBS DELETE groups). Protected
   * snapshots keep the group; that is an error (CONFLICT, after the others are gone, as in PBS)
   * unless `errorOnProtected` is false. Returns what was removed.
   */
  delete: procedure(
    { path: "ns", privileges: ["Datastore.Modify"], ownerPrivileges: ["Datastore.Prune"] },
    groupInput.extend({ errorOnProtected: z.boolean().default(true) }),
  ).mutation(async ({ ctx, input }) => {
    const ds = await openDatastore(input.store, "write");
    try {
      await checkGroupOwner(ctx.auth, ds, BackupNamespace.parse(input.ns), input.group);
      const stats = await ds.destroyGroup(BackupNamespace.parse(input.ns), input.group);
      const kept = stats["protected-snapshots"];
      if (kept > 0 && input.errorOnProtected) {
        throw new CofferError(
          "CONFLICT",
          `group only partially deleted due to protected snapshots: ${stats["removed-snapshots"]} snapshot(s) removed, ${kept} protected snapshot(s) kept`,
        );
      }
      return stats;
    } finally {
      await ds.close();
    }
  }),
});
