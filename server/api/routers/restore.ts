/**
 * Restore from the browser (PBS /files, /catalog): the archives of a snapshot and the folders
 * of a directory archive. The bytes themselves go out through the download route
 * (app/api/download/route.ts, server/api/download.ts), which needs no JSON around them.
 * Access as PBS's downloads: Datastore.Read on the snapshot's namespace, or Datastore.Backup
 * there plus ownership of the group (datastoreProcedure checks the owner for the snapshot).
 */
import { z } from "zod";
import { browseArchive, listArchives } from "../../datastore";
import { datastoreProcedure, router, type Access } from "../init";
import { archiveFileSchema, archivePathSchema, namespaceSchema, snapshotRefSchema, storeNameSchema } from "../schemas";

/** PBS download and catalog: R any / B + owner. */
export const RESTORE_ACCESS: Access = { path: "ns", privileges: ["Datastore.Read"], ownerPrivileges: ["Datastore.Backup"] };

const snapshotInput = z.strictObject({ store: storeNameSchema, ns: namespaceSchema, snapshot: snapshotRefSchema });

export const restoreRouter = router({
  /** The snapshot's archives: file name, kind (image, directory, blob), size. */
  archives: datastoreProcedure(RESTORE_ACCESS, "read", snapshotInput).query(async ({ ctx, input }) => {
    return await listArchives(ctx.ds, ctx.ns, input.snapshot);
  }),

  /** One folder of a directory archive (`path` "" is its top). */
  browse: datastoreProcedure(RESTORE_ACCESS, "read", snapshotInput.extend({ archive: archiveFileSchema, path: archivePathSchema.default("") })).query(
    async ({ ctx, input }) => {
      return await browseArchive(ctx.ds, ctx.ns, input.snapshot, input.archive, input.path);
    },
  ),
});
