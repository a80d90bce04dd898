/**
 * Scheduled jobs (GC schedule, prune jobs, verify jobs; issue 15): their configuration, PBS
 * calendar events, the job states and the scheduler. Used by the API, the CLI and the
 * console's server process (instrumentation.ts starts the scheduler).
 */
export { CALENDAR_EVENT_SYNTAX, computeNextEvent, parseCalendarEvent, type CalendarEvent } from "./calendar-event";
export {
  JOB_TYPES,
  WORKER_TYPE,
  createJob,
  getJob,
  jobIdSchema,
  listJobs,
  parseJob,
  pruneJobSchema,
  removeJob,
  removeJobsOfStore,
  scheduleSchema,
  setGcSchedule,
  updateJob,
  verifyJobSchema,
  type JobConfig,
  type JobType,
  type PruneJobConfig,
  type VerifyJobConfig,
} from "./job-config";
export { JOB_OPERATION, startJob, type StartJobTask } from "./job-run";
export { removeJobState } from "./job-state";
export { jobStatus, type JobStatus } from "./job-status";
export { readNotifyConfig, setWebhook, webhookUrlSchema, type JobFailureNotice } from "./notify";
export { runDueJobs, startScheduler, stopScheduler, type TickOutcome } from "./scheduler";
