/**
 * PBS's worker types, with the words the console shows for them. Shared by the task list on the
 * server (server/tasks/core/task-presentation.ts) and the console's type filter.
 */
export const TASK_TYPE_LABELS: Record<string, string> = {
  "move-group": "Move group",
  "move-namespace": "Move namespace",
  garbage_collection: "Garbage collection",
  verify: "Verify",
  verify_group: "Verify group",
  verify_snapshot: "Verify snapshot",
  verificationjob: "Verification job",
  prune: "Prune",
  prunejob: "Prune job",
  backup: "Backup",
  reader: "Restore",
  syncjob: "Sync job",
  "delete-datastore": "Remove datastore",
  "s3-refresh": "S3 refresh",
  "debug-sleep": "Debug sleep",
  "debug-write-hold": "Debug write hold",
};

/** The known worker types, for the type filter's suggestions. */
export const TASK_TYPES = Object.keys(TASK_TYPE_LABELS);

/**
 * The worker types of the move tasks (tasks/kinds/move-kinds.ts). A listing marks a group whose
 * lock such a task holds as moving, and looks for those locks only while one runs.
 */
export const MOVE_TASK_TYPES = ["move-group", "move-namespace"] as const;
export type MoveTaskType = (typeof MOVE_TASK_TYPES)[number];

export function isMoveTaskType(type: string | undefined): type is MoveTaskType {
  return type === "move-group" || type === "move-namespace";
}
