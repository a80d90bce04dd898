/**
 * `coffer job list|create|update|remove|run|notify` (issue 15): scheduled GC, prune and verify
 * jobs, with PBS's option names (`proxmox-backup-manager prune-job|verify-job ...`). The GC
 * "job" of a datastore is its `gc-schedule`: `coffer job create gc <store> --schedule EV`.
 * The scheduler runs inside the console's server process; `job run` starts a run now.
 */
import { KEEP_OPTION_NAMES } from "../../datastore";
import { badRequest } from "../../datastore/model/errors";
import { MAX_KEEP_COUNT } from "../../datastore/model/schemas";
import { MAX_NAMESPACE_DEPTH } from "../../datastore/model/names";
import {
  CALENDAR_EVENT_SYNTAX,
  JOB_TYPES,
  createJob,
  getJob,
  jobStatus,
  listJobs,
  readNotifyConfig,
  removeJob,
  removeJobState,
  setGcSchedule,
  setWebhook,
  startJob,
  updateJob,
  type JobStatus,
  type JobType,
} from "../../jobs";
import type { OptionSpec, Parsed } from "../args";
import type { Command } from "../command";
import { req, str } from "../command";
import { emit, printJson, printTable } from "../output";
import { followTaskCommand } from "../run-task";

const TYPE = { name: "type", metavar: "gc|prune|verify", description: "job type" };
const ID = { name: "id", description: "job id (for gc: the datastore name)" };

const CONFIG_OPTIONS: Record<string, OptionSpec> = {
  store: { type: "string", metavar: "STORE", description: "datastore of a prune or verify job" },
  schedule: { type: "string", metavar: "EVENT", description: `calendar event: ${CALENDAR_EVENT_SYNTAX}` },
  ns: { type: "string", metavar: "NS", description: "namespace the job starts at (default: the root namespace)" },
  "max-depth": { type: "integer", min: 0, max: MAX_NAMESPACE_DEPTH, description: "how many levels of namespaces below --ns it covers (default: all)" },
  comment: { type: "string", metavar: "TEXT", description: "comment" },
  disable: { type: "boolean", description: "keep the job but do not schedule it" },
  ...Object.fromEntries(KEEP_OPTION_NAMES.map((k) => [k, { type: "integer", min: 1, max: MAX_KEEP_COUNT, description: `prune: ${k}` } satisfies OptionSpec])),
  "ignore-verified": { type: "boolean", defaultTrue: true, description: "verify: skip snapshots verified before (default true)" },
  "outdated-after": { type: "integer", min: 0, max: 36500, description: "verify: verify again after this many days" },
};
const CONFIG_KEYS = Object.keys(CONFIG_OPTIONS).filter((k) => k !== "store");
/** A job's store never changes: update has every option but --store. */
const { store: _store, ...UPDATE_OPTIONS } = CONFIG_OPTIONS;

function jobType(args: Parsed): JobType {
  const t = req(args, "type");
  if (!(JOB_TYPES as readonly string[]).includes(t)) throw badRequest(`unknown job type '${t}': use gc, prune or verify`);
  return t as JobType;
}

/** The options given on the command line, by their PBS names. */
function given(args: Parsed, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => args.options[k] !== undefined).map((k) => [k, args.options[k]]));
}

function onlyForGc(args: Parsed): string | undefined {
  const extra = CONFIG_KEYS.filter((k) => k !== "schedule" && args.options[k] !== undefined);
  if (extra.length) throw badRequest(`a gc job has only a schedule; --${extra.join(", --")} belong to prune and verify jobs`);
  return str(args, "schedule");
}

const when = (t: number | undefined) => (t === undefined ? "-" : new Date(t * 1000).toISOString().replace(".000Z", "Z"));

function lastRun(j: JobStatus): string {
  if (j.running) return "running";
  if (j["last-run-state"]) return j["last-run-state"];
  return j.skipped ? `skipped: ${j.skipped}` : "-";
}

export const jobCommands: Command[] = [
  {
    path: ["job", "list"],
    summary: "List scheduled jobs with their next and last run",
    spec: { positionals: [{ name: "store", description: "only this datastore's jobs", optional: true }], options: {} },
    async run(args, format) {
      const now = Math.floor(Date.now() / 1000);
      const jobs = await Promise.all((await listJobs(str(args, "store"))).map((j) => jobStatus(j, now)));
      emit(format, jobs, () =>
        printTable(
          jobs,
          [
            { header: "Type", value: (j) => j.type },
            { header: "Id", value: (j) => j.id },
            { header: "Store", value: (j) => j.store },
            { header: "Schedule", value: (j) => (j.schedule ?? "-") + ("disable" in j && j.disable ? " (disabled)" : "") },
            { header: "Next run", value: (j) => when(j["next-run"]) },
            { header: "Last run", value: lastRun },
            { header: "Task", value: (j) => j["last-run-upid"] ?? "-" },
          ],
          "(no jobs)",
        ),
      );
    },
  },
  {
    path: ["job", "create"],
    summary: "Create a prune or verify job, or set a datastore's GC schedule",
    description: "Examples: 'coffer job create prune daily-tidy --store demo --schedule daily --keep-daily 7', 'coffer job create gc demo --schedule \"sat 02:30\"'.",
    spec: { positionals: [TYPE, ID], options: CONFIG_OPTIONS },
    async run(args, format) {
      const type = jobType(args);
      const id = req(args, "id");
      if (type === "gc") {
        const schedule = onlyForGc(args);
        if (schedule === undefined) throw badRequest("a gc job needs --schedule");
        await setGcSchedule(id, schedule);
      } else {
        const store = str(args, "store");
        if (store === undefined) throw badRequest(`a ${type} job needs --store`);
        await createJob(type, { id, store, ...given(args, CONFIG_KEYS) });
      }
      const job = await jobStatus(await getJob(type, id));
      emit(format, job, () => process.stdout.write(`created ${type} job '${id}', next run ${when(job["next-run"])}\n`));
    },
  },
  {
    path: ["job", "update"],
    summary: "Change a job's options",
    spec: {
      positionals: [TYPE, ID],
      options: { ...UPDATE_OPTIONS, delete: { type: "string", metavar: "OPT[,OPT]", description: "options to remove, e.g. comment,keep-hourly" } },
    },
    async run(args, format) {
      const type = jobType(args);
      const id = req(args, "id");
      if (type === "gc") {
        const schedule = onlyForGc(args);
        if (schedule === undefined) throw badRequest("give the gc job a new --schedule, or remove it with 'coffer job remove gc <store>'");
        await getJob("gc", id);
        await setGcSchedule(id, schedule);
      } else {
        const remove = (str(args, "delete") ?? "").split(",").filter(Boolean);
        await updateJob(type, id, given(args, CONFIG_KEYS), remove);
      }
      const job = await jobStatus(await getJob(type, id));
      emit(format, job, () => process.stdout.write(`updated ${type} job '${id}', next run ${when(job["next-run"])}\n`));
    },
  },
  {
    path: ["job", "remove"],
    summary: "Remove a job (for gc: the datastore's GC schedule)",
    spec: { positionals: [TYPE, ID], options: {} },
    async run(args, format) {
      const type = jobType(args);
      const id = req(args, "id");
      if (type === "gc") {
        await getJob("gc", id);
        await setGcSchedule(id, undefined);
      } else {
        await removeJob(type, id);
      }
      await removeJobState(type, id);
      emit(format, { removed: { type, id } }, () => process.stdout.write(`removed ${type} job '${id}'\n`));
    },
  },
  {
    path: ["job", "run"],
    summary: "Run a job now (a task), as its schedule would",
    description: "Refused while a run of the job is going on or the datastore's maintenance mode forbids it. Ctrl-C only stops following.",
    spec: { positionals: [TYPE, ID], options: {} },
    async run(args, format) {
      const { upid } = await startJob(await getJob(jobType(args), req(args, "id")));
      return followTaskCommand(upid, format, { abortOnInterrupt: false });
    },
  },
  {
    path: ["job", "notify"],
    summary: "Show or set the webhook failed job runs are posted to",
    spec: {
      positionals: [],
      options: {
        webhook: { type: "string", metavar: "URL", description: "http(s) URL that receives a JSON notice for each failed run" },
        clear: { type: "boolean", description: "remove the webhook" },
      },
    },
    async run(args, format) {
      const url = str(args, "webhook");
      if (url !== undefined && args.options.clear === true) throw badRequest("give --webhook URL or --clear, not both");
      const config = url !== undefined ? await setWebhook(url) : args.options.clear === true ? await setWebhook(undefined) : await readNotifyConfig();
      if (format === "json") return printJson(config);
      process.stdout.write(config.webhook ? `failed job runs are posted to ${config.webhook}\n` : "no webhook: failed runs show in the console only\n");
    },
  },
];
