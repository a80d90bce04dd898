/**
 * Scheduled jobs of a datastore (PBS /config/prune, /config/verify, `gc-schedule` and
 * /admin/{prune,verify}/{id}/run): list with next and last run, create, change, remove, run now.
 *
 * Privileges as PBS: seeing jobs needs Datastore.Audit; a prune job is configured and run with
 * Datastore.Modify or Datastore.Prune, a verify job with Datastore.Verify, on the job's
 * namespace when it is created; the GC schedule is a datastore property (Datastore.Modify).
 * Changing, removing and running an existing job is checked on the datastore itself, which is
 * at least as strict as PBS's check on the job's namespace.
 */
import { z } from "zod";
import { CofferError } from "../../datastore/model/errors";
import { datastoreVisibility } from "../../auth";
import { listDatastoreConfigs } from "../../config/datastore-config";
import {
  createJob,
  getJob,
  jobIdSchema,
  jobStatus,
  listJobs,
  pruneJobSchema,
  readNotifyConfig,
  removeJob,
  removeJobState,
  scheduleSchema,
  setGcSchedule,
  setWebhook,
  startJob,
  updateJob,
  verifyJobSchema,
  webhookUrlSchema,
  type JobType,
} from "../../jobs";
import { procedure, router, type Access } from "../init";
import { storeNameSchema } from "../schemas";

const AUTH_ID = "root@pam";

const ACCESS: Record<JobType, Access> = {
  gc: { path: "store", privileges: ["Datastore.Modify"] },
  prune: { path: "ns", privileges: ["Datastore.Modify", "Datastore.Prune"] },
  verify: { path: "ns", privileges: ["Datastore.Verify"] },
};
const onStore = (type: JobType): Access => ({ ...ACCESS[type], path: "store" });

const jobRef = z.strictObject({ store: storeNameSchema, id: jobIdSchema });

/** The job, if it belongs to `store` (the store is what the caller's privileges were checked on). */
async function jobOf(type: JobType, store: string, id: string) {
  const job = await getJob(type, id);
  if (job.store !== store) throw new CofferError("NOT_FOUND", `no such ${type} job '${id}' on datastore '${store}'`);
  return job;
}

const PRUNE_OPTIONAL = ["ns", "max-depth", "comment", "disable", "keep-last", "keep-hourly", "keep-daily", "keep-weekly", "keep-monthly", "keep-yearly"] as const;
const VERIFY_OPTIONAL = ["ns", "max-depth", "comment", "disable", "schedule", "ignore-verified", "outdated-after"] as const;

const pruneUpdate = jobRef.extend({
  set: pruneJobSchema.omit({ id: true, store: true }).partial().default({}),
  delete: z.array(z.enum(PRUNE_OPTIONAL)).default([]),
});
const verifyUpdate = jobRef.extend({
  set: verifyJobSchema.omit({ id: true, store: true }).partial().default({}),
  delete: z.array(z.enum(VERIFY_OPTIONAL)).default([]),
});

export const jobRouter = router({
  /** Every job of the store with its next run and its last run (PBS job list items). */
  list: procedure({ path: "store", privileges: ["Datastore.Audit"] }, z.strictObject({ store: storeNameSchema })).query(async ({ input }) => {
    const now = Math.floor(Date.now() / 1000);
    return Promise.all((await listJobs(input.store)).map((j) => jobStatus(j, now)));
  }),

  /** Failed jobs of every store the caller may audit, for the datastore list's badge. */
  failures: procedure({ path: "authenticated", privileges: [] }).query(async ({ ctx }) => {
    const authId = ctx.auth.authId!;
    const stores = (await listDatastoreConfigs()).filter((c) => datastoreVisibility(authId, c.name).full).map((c) => c.name);
    const out: { store: string; type: JobType; id: string; "last-run-upid"?: string; "last-run-state"?: string }[] = [];
    for (const store of stores) {
      for (const j of await listJobs(store)) {
        const s = await jobStatus(j);
        if (s["last-run-failed"]) out.push({ store, type: j.type, id: j.id, "last-run-upid": s["last-run-upid"], "last-run-state": s["last-run-state"] });
      }
    }
    return out;
  }),

  /** Sets or (without `schedule`) removes the datastore's GC schedule. */
  setGcSchedule: procedure(ACCESS.gc, z.strictObject({ store: storeNameSchema, schedule: scheduleSchema.optional() })).mutation(async ({ input }) => {
    await setGcSchedule(input.store, input.schedule);
    if (input.schedule === undefined) await removeJobState("gc", input.store);
    return { ok: true };
  }),

  createPrune: procedure(ACCESS.prune, pruneJobSchema).mutation(({ input }) => createJob("prune", input)),
  createVerify: procedure(ACCESS.verify, verifyJobSchema).mutation(({ input }) => createJob("verify", input)),

  updatePrune: procedure(onStore("prune"), pruneUpdate).mutation(async ({ input }) => {
    await jobOf("prune", input.store, input.id);
    return updateJob("prune", input.id, input.set, input.delete);
  }),
  updateVerify: procedure(onStore("verify"), verifyUpdate).mutation(async ({ input }) => {
    await jobOf("verify", input.store, input.id);
    return updateJob("verify", input.id, input.set, input.delete);
  }),

  removePrune: procedure(onStore("prune"), jobRef).mutation(async ({ input }) => {
    await jobOf("prune", input.store, input.id);
    await removeJob("prune", input.id);
    await removeJobState("prune", input.id);
    return { ok: true };
  }),
  removeVerify: procedure(onStore("verify"), jobRef).mutation(async ({ input }) => {
    await jobOf("verify", input.store, input.id);
    await removeJob("verify", input.id);
    await removeJobState("verify", input.id);
    return { ok: true };
  }),

  /** Run now: the same start as the scheduler's (no second run at once, maintenance checked). */
  runGc: procedure(ACCESS.gc, z.strictObject({ store: storeNameSchema })).mutation(async ({ ctx, input }) =>
    startJob(await jobOf("gc", input.store, input.store), { authId: ctx.auth.authId ?? AUTH_ID }),
  ),
  runPrune: procedure(onStore("prune"), jobRef).mutation(async ({ ctx, input }) =>
    startJob(await jobOf("prune", input.store, input.id), { authId: ctx.auth.authId ?? AUTH_ID }),
  ),
  runVerify: procedure(onStore("verify"), jobRef).mutation(async ({ ctx, input }) =>
    startJob(await jobOf("verify", input.store, input.id), { authId: ctx.auth.authId ?? AUTH_ID }),
  ),

  /** Where failed runs are posted (system-wide, as PBS's notification targets): Sys.Audit / Sys.Modify. */
  notifyConfig: procedure({ path: "system", privileges: ["Sys.Audit"] }).query(() => readNotifyConfig()),
  setWebhook: procedure({ path: "system", privileges: ["Sys.Modify"] }, z.strictObject({ webhook: webhookUrlSchema.optional() })).mutation(({ input }) =>
    setWebhook(input.webhook),
  ),
});
