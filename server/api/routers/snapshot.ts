/**
 * Snapshots (PBS /admin/datastore/{store}/snapshots, notes, protected). Listing is paged, newest
 * first, so that a group with 5,000 snapshots stays responsive.
 */
import { z } from "zod";
import { pageSnapshots } from "../../datastore";
import { CofferError } from "../../datastore/model/errors";
import { BackupNamespace, snapshotPath } from "../../datastore/model/names";
import { datastoreProcedure, procedure, router } from "../init";
import { groupRefSchema, namespaceSchema, pageSchema, snapshotRefSchema, storeNameSchema } from "../schemas";

const snapshotInput = z.strictObject({ store: storeNameSchema, ns: namespaceSchema, snapshot: snapshotRefSchema });

export const snapshotRouter = router({
  /**
   * One page of a group's snapshots, newest first (`ascending` for oldest first). Unfinished
   * snapshots included (`finished: false`).
   */
  list: datastoreProcedure(
    { path: "ns", privileges: ["Datastore.Audit"], ownerPrivileges: ["Datastore.Backup"] },
    "read",
    z.strictObject({
      store: storeNameSchema,
      ns: namespaceSchema,
      group: groupRefSchema,
      ascending: z.boolean().default(false),
      ...pageSchema,
    }),
  ).query(async ({ ctx, input }) => {
    return await pageSnapshots(ctx.ds, ctx.ns, input.group, input);
  }),

  /** The snapshot's full notes (kept in the manifest's unprotected part). */
  notes: datastoreProcedure(
    { path: "ns", privileges: ["Datastore.Audit"], ownerPrivileges: ["Datastore.Backup"] },
    "read",
    snapshotInput,
  ).query(async ({ ctx, input }) => {
    const ns = ctx.ns;
    const info = await ctx.ds.snapshotFiles(ns, input.snapshot).catch((err: unknown) => {
      throw new CofferError("NOT_FOUND", `snapshot '${snapshotPath(input.snapshot)}' does not exist in namespace '${ns}'`, {
        cause: err,
      });
    });
    // An unfinished snapshot has no manifest, so no notes yet.
    return { notes: info.finished ? await ctx.ds.snapshotNotes(ns, input.snapshot) : "" };
  }),

  setNotes: datastoreProcedure(
    { path: "ns", privileges: ["Datastore.Modify"], ownerPrivileges: ["Datastore.Backup"] },
    "write",
    snapshotInput.extend({ notes: z.string().max(64 * 1024, "notes are limited to 64 KiB") }),
  ).mutation(async ({ ctx, input }) => {
    await ctx.ds.setSnapshotNotes(ctx.ns, input.snapshot, input.notes);
  }),

  /** Protected snapshots survive prune and delete. */
  setProtected: datastoreProcedure(
    { path: "ns", privileges: ["Datastore.Modify"], ownerPrivileges: ["Datastore.Backup"] },
    "write",
    snapshotInput.extend({ protected: z.boolean() }),
  ).mutation(async ({ ctx, input }) => {
    await ctx.ds.setSnapshotProtected(ctx.ns, input.snapshot, input.protected);
  }),

  /**
   * Deletes one snapshot (PBS DELETE snapshots); a protected one is refused with CONFLICT. The
   * group's last snapshot takes the group with it (PBS 4.2).
   */
  delete: datastoreProcedure(
    { path: "ns", privileges: ["Datastore.Modify"], ownerPrivileges: ["Datastore.Prune"] },
    "write",
    snapshotInput,
  ).mutation(async ({ ctx, input }) => {
    await ctx.ds.destroySnapshot(ctx.ns, input.snapshot);
  }),
});
