/**
 * Worker tasks (DESIGN.md 7): the surface the API and the CLI use. Importing it registers every
 * task kind (kinds.ts).
 */
export { startTask, stopTask, cofferBin, type StartTaskOptions } from "./core/runner";
export { registerTaskKind, getTaskKind, taskKindTypes, type TaskContext, type TaskKind, type TaskLogger } from "./core/registry";
export { listTasks, moveMayRun, taskMatchesStore, type ListTasksOptions, type TaskListItem } from "./core/task-list";
export { taskStatus, isTaskRunning, type TaskStatus } from "./core/task-status";
export { readTaskLog, readTaskStatus, type TaskLogLine, type ReadLogOptions } from "./core/task-log";
export { followTaskLog, taskLogLines, type FollowOptions } from "./core/follow";
export { parseUpid, formatUpid, isUpid, UPID_REGEX, type Upid } from "./core/upid";
export { taskStateText, type TaskState, type TaskStateType } from "./core/task-state";
export { ABORT_MESSAGE } from "./core/worker";
export { taskDescription, taskOutcome, type TaskOutcome, type TaskOutcomeTone } from "./core/task-presentation";
