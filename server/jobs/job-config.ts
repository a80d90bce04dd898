/**
 * Job configuration (PBS prune.cfg, verification.cfg and the datastore's `gc-schedule`), with
 * PBS's option names. Prune and verify jobs live in `etc/prune.json` and
 * `etc/verification.json` beside the datastore config; the GC schedule is a property of the
 * datastore (`gc-schedule` in `etc/datastore.json`), as in PBS. Writes take a config lock and
 * replace the file atomically, exactly like the datastore config: readers need no lock.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { paths } from "../config/paths";
import { getDatastoreConfig, listDatastoreConfigs, updateDatastoreConfigs } from "../config/datastore-config";
import { CofferError, isErrno } from "../datastore/model/errors";
import { SAFE_ID_REGEX } from "../datastore/model/names";
import { keepOptionsSchema, maxDepthSchema, namespacePathSchema, storeNameSchema } from "../datastore/model/schemas";
import { writeFileAtomic } from "../platform/atomic-file";
import { lockNamed } from "../platform/file-lock";
import { parseCalendarEvent } from "./calendar-event";
import { markCreated, removeJobState } from "./job-state";
import type { JobType } from "./job-types";

export { JOB_TYPES, WORKER_TYPE, type JobType } from "./job-types";

export const jobIdSchema = z
  .string()
  .refine((s) => SAFE_ID_REGEX.test(s) && s.length >= 3 && s.length <= 32, {
    message: "a job id has 3 to 32 characters of A-Z a-z 0-9 _ . - and does not start with . or -",
  });

export const scheduleSchema = z.string().superRefine((s, ctx) => {
  try {
    parseCalendarEvent(s);
  } catch (err) {
    ctx.addIssue({ code: "custom", message: (err as Error).message });
  }
});

const commentSchema = z
  .string()
  .max(128, "a comment has at most 128 characters")
  .regex(/^[^\p{Cc}]*$/u, "a comment is one line without control characters");

const common = {
  id: jobIdSchema,
  store: storeNameSchema,
  ns: namespacePathSchema.optional(),
  "max-depth": maxDepthSchema.optional(),
  comment: commentSchema.optional(),
  disable: z.boolean().optional(),
};

/** PBS PruneJobConfig: a schedule is required. */
export const pruneJobSchema = z.object({ ...common, schedule: scheduleSchema }).extend(keepOptionsSchema.shape).strict();
/** PBS VerificationJobConfig: without a schedule the job runs only when started by hand. */
export const verifyJobSchema = z
  .object({
    ...common,
    schedule: scheduleSchema.optional(),
    "ignore-verified": z.boolean().optional(),
    "outdated-after": z.number().int().min(0).max(36500).optional(),
  })
  .strict();

export type PruneJobConfig = z.infer<typeof pruneJobSchema>;
export type VerifyJobConfig = z.infer<typeof verifyJobSchema>;

/** The GC "job" of a datastore: its id is the store's name (PBS). */
export interface GcJobConfig {
  id: string;
  store: string;
  schedule?: string;
}

export type JobConfig =
  | ({ type: "gc" } & GcJobConfig)
  | ({ type: "prune" } & PruneJobConfig)
  | ({ type: "verify" } & VerifyJobConfig);

const fileOf = { prune: () => paths.pruneJobConfig(), verify: () => paths.verifyJobConfig() };
const schemaOf = { prune: pruneJobSchema, verify: verifyJobSchema };

type FileJob<T extends "prune" | "verify"> = T extends "prune" ? PruneJobConfig : VerifyJobConfig;

async function readJobFile<T extends "prune" | "verify">(type: T): Promise<FileJob<T>[]> {
  const file = fileOf[type]();
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (err) {
    if (isErrno(err, "ENOENT")) return [];
    throw err;
  }
  const parsed = z.object({ jobs: z.array(schemaOf[type]) }).safeParse(JSON.parse(text));
  if (!parsed.success) throw new CofferError("INTERNAL", `invalid job config ${JSON.stringify(file)} - ${parsed.error.message}`);
  return parsed.data.jobs as FileJob<T>[];
}

/** Read-modify-write of one job file under its lock (PBS `.prune.lck`, 10 s), replaced atomically. */
async function updateJobFile<T extends "prune" | "verify">(type: T, fn: (jobs: FileJob<T>[]) => FileJob<T>[]): Promise<void> {
  await fs.mkdir(paths.etc(), { recursive: true, mode: 0o700 });
  const lockDir = paths.globalLocks();
  await fs.mkdir(lockDir, { recursive: true });
  const guard = await lockNamed(path.join(lockDir, `${type === "prune" ? "prune" : "verification"}.cfg`));
  try {
    const next = fn(await readJobFile(type)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    await writeFileAtomic(fileOf[type](), `${JSON.stringify({ jobs: next }, null, 2)}\n`, 0o640);
  } finally {
    await guard.release();
  }
}

/** Every job, of every store or of one; GC jobs only for stores with a schedule. */
export async function listJobs(store?: string): Promise<JobConfig[]> {
  const stores = (await listDatastoreConfigs()).filter((d) => store === undefined || d.name === store);
  const out: JobConfig[] = [];
  for (const d of stores) if (d["gc-schedule"]) out.push({ type: "gc", id: d.name, store: d.name, schedule: d["gc-schedule"] });
  for (const j of await readJobFile("prune")) if (store === undefined || j.store === store) out.push({ type: "prune", ...j });
  for (const j of await readJobFile("verify")) if (store === undefined || j.store === store) out.push({ type: "verify", ...j });
  return out;
}

export async function getJob(type: JobType, id: string): Promise<JobConfig> {
  const found = (await listJobs()).find((j) => j.type === type && j.id === id);
  if (!found) throw new CofferError("NOT_FOUND", `no such ${type} job '${id}'`);
  return found;
}

/**
 * Creates a prune or verify job. The datastore must exist; an id already used by a job of the
 * same type is CONFLICT. Nothing is written when anything is wrong. Its schedule counts from
 * `now` (epoch seconds; the real clock by default).
 */
export async function createJob(type: "prune" | "verify", config: unknown, opts: { now?: number } = {}): Promise<JobConfig> {
  const job = parseJob(type, config);
  await getDatastoreConfig(job.store);
  await updateJobFile(type, (jobs) => {
    if (jobs.some((j) => j.id === job.id)) throw new CofferError("CONFLICT", `${type} job '${job.id}' already exists`);
    return [...jobs, job as FileJob<typeof type>];
  });
  // The schedule counts from now (PBS writes a new job's state when it is created).
  await markCreated(type, job.id, opts.now);
  return { type, ...job } as JobConfig;
}

/**
 * Changes a prune or verify job: `set` gives new values, `remove` names options to drop (PBS's
 * `delete` parameter). The id and the store stay. The result is checked whole before it is written.
 */
export async function updateJob(type: "prune" | "verify", id: string, set: Record<string, unknown>, remove: string[] = []): Promise<JobConfig> {
  for (const key of ["id", "store"]) {
    if (key in set || remove.includes(key)) throw new CofferError("BAD_REQUEST", `a job's '${key}' cannot be changed; remove the job and create a new one`);
  }
  let updated: FileJob<typeof type> | undefined;
  await updateJobFile(type, (jobs) => {
    const i = jobs.findIndex((j) => j.id === id);
    if (i < 0) throw new CofferError("NOT_FOUND", `no such ${type} job '${id}'`);
    const next: Record<string, unknown> = { ...jobs[i], ...set };
    for (const key of remove) delete next[key];
    updated = parseJob(type, next) as FileJob<typeof type>;
    return jobs.map((j, k) => (k === i ? updated! : j));
  });
  return { type, ...updated! } as JobConfig;
}

export async function removeJob(type: "prune" | "verify", id: string): Promise<void> {
  await updateJobFile(type, (jobs) => {
    if (!jobs.some((j) => j.id === id)) throw new CofferError("NOT_FOUND", `no such ${type} job '${id}'`);
    return jobs.filter((j) => j.id !== id);
  });
}

/**
 * Removes every job of a datastore and their states, after the datastore was removed (PBS's
 * delete datastore without `keep-job-configs`). Returns the jobs removed.
 */
export async function removeJobsOfStore(store: string): Promise<{ type: JobType; id: string }[]> {
  const removed: { type: JobType; id: string }[] = [{ type: "gc", id: store }];
  for (const type of ["prune", "verify"] as const) {
    await updateJobFile(type, (jobs) => {
      for (const j of jobs) if (j.store === store) removed.push({ type, id: j.id });
      return jobs.filter((j) => j.store !== store);
    });
  }
  for (const r of removed) await removeJobState(r.type, r.id);
  return removed.slice(1);
}

/** Sets (or with `undefined` removes) a datastore's GC schedule (PBS `gc-schedule`). */
export async function setGcSchedule(store: string, schedule: string | undefined, opts: { now?: number } = {}): Promise<void> {
  if (schedule !== undefined) parseCalendarEvent(schedule);
  const had = (await getDatastoreConfig(store))["gc-schedule"] !== undefined;
  await updateDatastoreConfigs((list) => {
    const d = list.find((x) => x.name === store);
    if (!d) throw new CofferError("NOT_FOUND", `no such datastore '${store}'`);
    if (schedule === undefined) delete d["gc-schedule"];
    else d["gc-schedule"] = schedule;
    return list;
  });
  if (!had && schedule !== undefined) await markCreated("gc", store, opts.now);
}

/** Validates a job config; BAD_REQUEST saying which option is wrong and what is allowed. */
export function parseJob<T extends "prune" | "verify">(type: T, raw: unknown): FileJob<T> {
  const r = schemaOf[type].safeParse(raw);
  if (r.success) return r.data as FileJob<T>;
  const issues = r.error.issues.map((i) => `${i.path.length ? i.path.join(".") : "(job)"}: ${i.message}`).join("; ");
  throw new CofferError("BAD_REQUEST", `invalid ${type} job: ${issues}`);
}
