/**
 * Verification (PBS POST /admin/datastore/{store}/verify, reference pbs-api-ui.md 2.5). The
 * scope follows what is given, as in PBS: a snapshot (task `verify_snapshot`), a group
 * (`verify_group`), or a namespace and its children to `maxDepth` (`verify`; the root namespace
 * is the whole store). What it names is checked first, so a typo is NOT_FOUND here instead of a
 * task that finds nothing. Verify is a read operation: read-only maintenance allows it.
 */
import { z } from "zod";
import { CofferError } from "../../datastore/model/errors";
import { BackupNamespace, snapshotPath } from "../../datastore/model/names";
import { startTask } from "../../tasks";
import { datastoreProcedure, router } from "../init";
import { groupRefSchema, maxDepthSchema, namespaceSchema, snapshotRefSchema, storeNameSchema } from "../schemas";

/** The task user when the caller has no auth id (a local caller without HTTP, e.g. tests). */
const AUTH_ID = "root@pam";

export const verifyStartSchema = z
  .object({
    store: storeNameSchema,
    ns: namespaceSchema,
    group: groupRefSchema.optional(),
    snapshot: snapshotRefSchema.optional(),
    /** Skip snapshots verified before (PBS default true; the UI's snapshot verify sends false). */
    ignoreVerified: z.boolean().default(true),
    /** With ignoreVerified: verify again what was verified more than this many days ago. */
    outdatedAfter: z.number().int().min(0).max(36500).optional(),
    maxDepth: maxDepthSchema.optional(),
  })
  .superRefine((v, ctx) => {
    if (v.group && v.snapshot) ctx.addIssue({ code: "custom", message: "give a group or a snapshot, not both" });
    if ((v.group || v.snapshot) && v.maxDepth !== undefined) {
      ctx.addIssue({ code: "custom", path: ["maxDepth"], message: "max depth applies to a namespace verify, not to a group or snapshot" });
    }
  });

export const verifyRouter = router({
  start: datastoreProcedure(
    { path: "ns", privileges: ["Datastore.Verify"], ownerPrivileges: ["Datastore.Backup"] },
    "read",
    verifyStartSchema,
  ).mutation(
    async ({ ctx, input }) => {
      const { ds, ns } = ctx;
      const authId = ctx.auth.authId ?? AUTH_ID;
      const common: Record<string, unknown> = { store: input.store, ns: input.ns, "ignore-verified": input.ignoreVerified };
      if (input.outdatedAfter !== undefined) common["outdated-after"] = input.outdatedAfter;

      {
        if (input.snapshot) {
          const snap = input.snapshot;
          const list = await ds.listSnapshots(ns, snap);
          if (!list.some((s) => s["backup-time"] === snap.time)) {
            throw new CofferError("NOT_FOUND", `snapshot '${snapshotPath(snap)}' does not exist in namespace '${ns}'`);
          }
        } else if (input.group) {
          await ds.group(ns, input.group);
        } else if (ctx.auth.ownerOnly) {
          // The worker does not filter by owner: a Backup-only caller verifies their groups one by one.
          throw new CofferError(
            "FORBIDDEN",
            `permission check failed - missing Datastore.Verify on /datastore/${input.store}${input.ns ? `/${input.ns}` : ""}`,
          );
        } else if (!(await ds.namespaceExists(ns))) {
          throw new CofferError("NOT_FOUND", `namespace '${ns}' does not exist`);
        }
        // A named group or snapshot is the caller's (when only Backup): datastoreProcedure checked it.
      }

      if (input.snapshot) {
        const s = input.snapshot;
        return startTask("verify_snapshot", { ...common, "backup-type": s.type, "backup-id": s.id, "backup-time": s.time }, { authId });
      }
      if (input.group) {
        return startTask("verify_group", { ...common, "backup-type": input.group.type, "backup-id": input.group.id }, { authId });
      }
      return startTask("verify", { ...common, ...(input.maxDepth === undefined ? {} : { "max-depth": input.maxDepth }) }, { authId });
    },
  ),
});
