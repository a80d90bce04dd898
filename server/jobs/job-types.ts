/** The kinds of scheduled jobs and their PBS job types. */
export const JOB_TYPES = ["gc", "prune", "verify"] as const;
export type JobType = (typeof JOB_TYPES)[number];

/** The PBS job type: the jobstate file's prefix and the worker type of the job's task. */
export const WORKER_TYPE: Record<JobType, string> = { gc: "garbage_collection", prune: "prunejob", verify: "verificationjob" };
