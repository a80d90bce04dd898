/**
 * Worker tasks (PBS /nodes/{node}/tasks, reference pbs-api-ui.md 2.6 and 6): the list with PBS's
 * filters and approximate total, one task's status and log, stop, and the live log as a
 * subscription (SSE), which the Task Viewer follows instead of polling (DESIGN.md 7).
 *
 * Access as PBS: everyone may read and stop their own tasks; Sys.Audit on /system/tasks reads all
 * tasks, Sys.Modify stops them. Callers without them (`ownerOnly`) see only their own tasks
 * (their user's and its tokens'), and stop only tasks of exactly their auth id.
 */
import { tracked } from "@trpc/server";
import { z } from "zod";
import { isTaskRunning, listTasks, parseUpid, readTaskLog, stopTask, taskLogLines, taskStatus } from "../../tasks";
import { permissionError, SYSTEM_TASKS_PATH } from "../../auth";
import type { AuthState } from "../auth-middleware";
import { procedure, router, toTRPCError, type Access } from "../init";
import { storeNameSchema } from "../schemas";

/** A UPID; a malformed one is refused with PBS's text (`unable to parse UPID '...'`). */
export const upidSchema = z.string().superRefine((s, ctx) => {
  try {
    parseUpid(s);
  } catch (err) {
    ctx.addIssue({ code: "custom", message: (err as Error).message });
  }
});

export const TASK_STATES = ["ok", "warning", "error", "unknown"] as const;

const epoch = z.number().int().min(0);

export const taskListSchema = z.strictObject({
  /** Only running tasks. */
  running: z.boolean().optional(),
  /** Only tasks that did not end OK. */
  errors: z.boolean().optional(),
  start: z.number().int().min(0).default(0),
  /** 0 means no limit (PBS); the console pages with 50 to 500. */
  limit: z.number().int().min(0).max(10_000).default(50),
  /** Epoch seconds, compared with the task's start. */
  since: epoch.optional(),
  until: epoch.optional(),
  /** Substring of the worker type. */
  typefilter: z.string().max(64).optional(),
  statusfilter: z.array(z.enum(TASK_STATES)).optional(),
  store: storeNameSchema.optional(),
  /** Substring of the auth id. */
  userfilter: z.string().max(128).optional(),
});

/**
 * Reading a task: Sys.Audit on /system/tasks for all tasks; without it (no privilege needed)
 * only one's own (PBS). `ownerPrivileges: []` lets everyone in owner-limited.
 */
const READ: Access = { path: "system", privileges: ["Sys.Audit"], ownerPrivileges: [] };
/** Stopping a task: Sys.Modify on /system/tasks, or being its user (the exact auth id, PBS). */
const STOP: Access = { path: "system", privileges: ["Sys.Modify"], ownerPrivileges: [] };

/** FORBIDDEN for someone else's task when the caller may only read their own. */
function checkTaskReader(auth: AuthState, upid: string): void {
  if (auth.ownerOnly && !auth.owns(parseUpid(upid).authId)) throw permissionError(["Sys.Audit"], SYSTEM_TASKS_PATH);
}

const upidInput = z.strictObject({ upid: upidSchema });

export const taskRouter = router({
  /** `{data, total}` as PBS: running first, then finished newest-finished first; `total` approximate. */
  list: procedure(READ, taskListSchema).query(({ ctx, input }) =>
    listTasks(ctx.auth.ownerOnly ? { ...input, owner: (authId) => ctx.auth.owns(authId) } : input),
  ),

  /** `status` running|stopped, `exitstatus` and `endtime` once stopped. */
  status: procedure(READ, upidInput).query(async ({ ctx, input }) => {
    checkTaskReader(ctx.auth, input.upid);
    const { state: _state, ...status } = await taskStatus(input.upid);
    return status;
  }),

  /** Log lines `{n, t}` from `start` (1-based; 0 = 1), at most `limit` (0 = to the end). */
  log: procedure(
    READ,
    upidInput.extend({
      start: z.number().int().min(0).default(0),
      limit: z.number().int().min(0).max(100_000).default(50),
    }),
  ).query(async ({ ctx, input }) => {
    checkTaskReader(ctx.auth, input.upid);
    const { lines, total } = await readTaskLog(input.upid, { start: input.start, limit: input.limit });
    return { data: lines, total, active: await isTaskRunning(input.upid) };
  }),

  /** Asks a running task to abort; `signalled: false` when it was no longer running. */
  stop: procedure(STOP, upidInput).mutation(({ ctx, input }) => {
    if (ctx.auth.ownerOnly && parseUpid(input.upid).authId !== ctx.auth.authId) throw permissionError(["Sys.Modify"], SYSTEM_TASKS_PATH);
    return stopTask(input.upid);
  }),

  /**
   * The log live: every line as `{type: "line", n, t}` (already written ones first), then
   * `{type: "end", status}` once the task ended. Events carry ids, so a client that reconnects
   * (`lastEventId`) continues after the last line it got instead of from the top.
   */
  follow: procedure(READ, upidInput.extend({ lastEventId: z.string().nullish() })).subscription(async ({ ctx, input, signal }) => {
    checkTaskReader(ctx.auth, input.upid);
    // Checked before the stream starts, so an unknown task is NOT_FOUND, not a broken stream.
    await taskStatus(input.upid);
    const after = input.lastEventId ? parseInt(input.lastEventId, 10) : 0;
    return followLog(input.upid, Number.isFinite(after) ? after : 0, signal);
  }),
});

async function* followLog(upid: string, after: number, signal: AbortSignal | undefined) {
  let n = after;
  try {
    for await (const line of taskLogLines(upid, { start: n + 1, signal })) {
      n = line.n;
      yield tracked(String(line.n), { type: "line" as const, n: line.n, t: line.t });
    }
    if (signal?.aborted) return;
    const { state: _state, ...status } = await taskStatus(upid);
    yield tracked(`${n}-end`, { type: "end" as const, status });
  } catch (err) {
    throw toTRPCError(err); // errors inside a stream bypass the error-mapping middleware
  }
}
