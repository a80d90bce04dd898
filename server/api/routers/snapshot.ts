/**
 * Snapshots (PBS /admin/datastore/{store}/snapshots, notes, protected). Listing is paged, newest
 * first, so that a group with 5,000 snapshots stays responsive.
 */
import { z } from "zod";
import { pageSnapshots } from "../../datastore/content/listing-page";
import { CofferError } from "../../datastore/model/errors";
import { BackupNamespace, snapshotPath } from "../../datastore/model/names";
import { openDatastore } from "../../datastore/open";
import { procedure, router } from "../init";
import { checkGroupOwner } from "./group";
import { groupRefSchema, namespaceSchema, pageSchema, snapshotRefSchema, storeNameSchema } from "../schemas";

const snapshotInput = z.strictObject({ store: storeNameSchema, ns: namespaceSchema, snapshot: snapshotRefSchema });

export const snapshotRouter = router({
  /**
   * One page of a group's snapshots, newest first (`ascending` for oldest first). Unfinished
   * snapshots included (`finished: false`).
   */
  list: procedure(
    { path: "ns", privileges: ["Datastore.Audit"], ownerPrivileges: ["Datastore.Backup"] },
    z.strictObject({
      store: storeNameSchema,
      ns: namespaceSchema,
      group: groupRefSchema,
      ascending: z.boolean().default(false),
      ...pageSchema,
    }),
  ).query(async ({ ctx, input }) => {
    const ds = await openDatastore(input.store, "read");
    try {
      await checkGroupOwner(ctx.auth, ds, BackupNamespace.parse(input.ns), input.group);
      return await pageSnapshots(ds, BackupNamespace.parse(input.ns), input.group, input);
    } finally {
      await ds.close();
    }
  }),

  /** The snapshot's full notes (kept in the manifest's unprotected part). */
  notes: procedure({ path: "ns", privileges: ["Datastore.Audit"], ownerPrivileges: ["Datastore.Backup"] }, snapshotInput).query(
    async ({ ctx, input }) => {
      const ds = await openDatastore(input.store, "read");
      try {
        const ns = BackupNamespace.parse(input.ns);
        await checkGroupOwner(ctx.auth, ds, ns, input.snapshot);
        const info = await ds.snapshotFiles(ns, input.snapshot).catch((err: unknown) => {
          throw new CofferError("NOT_FOUND", `snapshot '${snapshotPath(input.snapshot)}' does not exist in namespace '${ns}'`, {
            cause: err,
          });
        });
        // An unfinished snapshot has no manifest, so no notes yet.
        return { notes: info.finished ? await ds.snapshotNotes(ns, input.snapshot) : "" };
      } finally {
        await ds.close();
      }
    },
  ),

  setNotes: procedure(
    { path: "ns", privileges: ["Datastore.Modify"], ownerPrivileges: ["Datastore.Backup"] },
    snapshotInput.extend({ notes: z.string().max(64 * 1024, "notes are limited to 64 KiB") }),
  ).mutation(async ({ ctx, input }) => {
    const ds = await openDatastore(input.store, "write");
    try {
      await checkGroupOwner(ctx.auth, ds, BackupNamespace.parse(input.ns), input.snapshot);
      await ds.setSnapshotNotes(BackupNamespace.parse(input.ns), input.snapshot, input.notes);
    } finally {
      await ds.close();
    }
  }),

  /** Protected snapshots survive prune and delete. */
  setProtected: procedure(
    { path: "ns", privileges: ["Datastore.Modify"], ownerPrivileges: ["Datastore.Backup"] },
    snapshotInput.extend({ protected: z.boolean() }),
  ).mutation(async ({ ctx, input }) => {
    const ds = await openDatastore(input.store, "write");
    try {
      await checkGroupOwner(ctx.auth, ds, BackupNamespace.parse(input.ns), input.snapshot);
      await ds.setSnapshotProtected(BackupNamespace.parse(input.ns), input.snapshot, input.protected);
    } finally {
      await ds.close();
    }
  }),

  /**
   * Deletes one snapshot (PBS DELETE snapshots); a protected one is refused with CONFLICT. The
   * group's last snapshot takes the group with it (PBS 4.2).
   */
  delete: procedure({ path: "ns", privileges: ["Datastore.Modify"], ownerPrivileges: ["Datastore.Prune"] }, snapshotInput).mutation(
    async ({ ctx, input }) => {
      const ds = await openDatastore(input.store, "write");
      try {
        await checkGroupOwner(ctx.auth, ds, BackupNamespace.parse(input.ns), input.snapshot);
        await ds.destroySnapshot(BackupNamespace.parse(input.ns), input.snapshot);
      } finally {
        await ds.close();
      }
    },
  ),
});
