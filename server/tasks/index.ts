/**
 * Worker tasks (DESIGN.md 7): the surface the API and the CLI use. Importing it registers every
 * task kind (kinds.ts).
 */
export { startTask, stopTask, cofferBin, type StartTaskOptions } from "./runner";
export { registerTaskKind, getTaskKind, taskKindTypes, type TaskContext, type TaskKind, type TaskLogger } from "./registry";
export { listTasks, taskMatchesStore, type ListTasksOptions, type TaskListItem } from "./task-list";
export { taskStatus, isTaskRunning, type TaskStatus } from "./task-status";
export { readTaskLog, readTaskStatus, type TaskLogLine, type ReadLogOptions } from "./task-log";
export { followTaskLog, taskLogLines, type FollowOptions } from "./follow";
export { parseUpid, formatUpid, isUpid, UPID_REGEX, type Upid } from "./upid";
export { taskStateText, type TaskState, type TaskStateType } from "./task-state";
export { ABORT_MESSAGE } from "./worker";
