/**
 * Backup groups of one namespace (PBS /admin/datastore/{store}/groups, group-notes,
 * change-owner). "X / Y+owner" in the access declarations: X on the namespace allows every
 * group, Y only groups the caller owns (reference pbs-api-ui 2.3, 3).
 */
import { z } from "zod";
import { GROUP_SORTS, pageGroups } from "../../datastore/listing-page";
import { BackupNamespace } from "../../datastore/names";
import { openDatastore } from "../../datastore/open";
import { parseAuthId } from "../../datastore/owner";
import { CofferError, errorMessage } from "../../datastore/errors";
import { publicProcedure, router } from "../init";
import { groupRefSchema, namespaceSchema, pageSchema, storeNameSchema } from "../schemas";

const groupInput = z.object({ store: storeNameSchema, ns: namespaceSchema, group: groupRefSchema });

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
  list: publicProcedure
    .meta({ access: { path: "ns", privileges: ["Datastore.Audit"], ownerPrivileges: ["Datastore.Backup"] } })
    .input(
      z.object({
        store: storeNameSchema,
        ns: namespaceSchema,
        filter: z.string().max(256).optional(),
        sort: z.enum(GROUP_SORTS).default("name"),
        desc: z.boolean().default(false),
        ...pageSchema,
      }),
    )
    .query(async ({ input }) => {
      const ds = await openDatastore(input.store, "read");
      try {
        return await pageGroups(ds, BackupNamespace.parse(input.ns), input);
      } finally {
        await ds.close();
      }
    }),

  /** The group's full notes (the list carries only their first line). */
  notes: publicProcedure
    .meta({ access: { path: "ns", privileges: ["Datastore.Audit"], ownerPrivileges: ["Datastore.Backup"] } })
    .input(groupInput)
    .query(async ({ input }) => {
      const ds = await openDatastore(input.store, "read");
      try {
        return { notes: await ds.groupNotes(BackupNamespace.parse(input.ns), input.group) };
      } finally {
        await ds.close();
      }
    }),

  setNotes: publicProcedure
    .meta({ access: { path: "ns", privileges: ["Datastore.Modify"], ownerPrivileges: ["Datastore.Backup"] } })
    .input(groupInput.extend({ notes: z.string().max(64 * 1024, "notes are limited to 64 KiB") }))
    .mutation(async ({ input }) => {
      const ds = await openDatastore(input.store, "write");
      try {
        await ds.setGroupNotes(BackupNamespace.parse(input.ns), input.group, input.notes);
      } finally {
        await ds.close();
      }
    }),

  /**
   * PBS change-owner. Datastore.Modify allows any change; with only Datastore.Backup, ownership
   * may pass only between the caller and their own tokens (enforced with users and ACLs).
   */
  setOwner: publicProcedure
    .meta({ access: { path: "ns", privileges: ["Datastore.Modify"], ownerPrivileges: ["Datastore.Backup"] } })
    .input(groupInput.extend({ owner: authIdSchema }))
    .mutation(async ({ input }) => {
      const ds = await openDatastore(input.store, "write");
      try {
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
  delete: publicProcedure
    .meta({ access: { path: "ns", privileges: ["Datastore.Modify"], ownerPrivileges: ["Datastore.Prune"] } })
    .input(groupInput.extend({ errorOnProtected: z.boolean().default(true) }))
    .mutation(async ({ input }) => {
      const ds = await openDatastore(input.store, "write");
      try {
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
