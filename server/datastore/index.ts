/**
 * The engine's one public surface (DESIGN.md 1 and 4). Everything outside server/datastore
 * (the API, the tasks, the CLI) imports the engine from here, or the pure `model/` directly;
 * a dependency rule in `npm test` (.dependency-cruiser.cjs) refuses anything else. What is not
 * exported here cannot be reached from outside: above all, no untyped store. Every operation
 * on datastore content goes through a handle opened for it:
 *
 * - `openDatastore(name, "lookup")`: config and state only (maintenance, active operations);
 * - `openDatastore(name, "read")`: listings, plans, pre-flight checks, verify, restore;
 * - `openDatastore(name, "write")`: moves, GC, prune, backups, notes, protection, deletes.
 *
 * Opening checks the maintenance mode and counts the operation until the handle is closed.
 */

// Handles.
export { openDatastore, withDatastore, type HandleFor, type LookupHandle, type ReadHandle, type WriteHandle } from "./open";

// Datastores as a whole.
export { createDatastore, removeDatastore, type CreateDatastoreOptions, type S3CreateOptions } from "./lifecycle";
export { updateDatastoreOptions, type DatastoreOptionsChange } from "./datastore-options";
export { refreshDatastore } from "./state/s3-refresh-maintenance";
export { maintenanceStatus } from "./state/maintenance-status";
export { DEFAULT_USAGE_INTERVAL_S, diskUsage, readUsageHistory, sampleAllDatastores, type DiskUsage } from "./state/usage-history";

// Content listings.
export { GROUP_SORTS, countGroups, locateGroup, locateSnapshot, pageGroups, pageSnapshots, type GroupCount, type GroupSort } from "./content/listing-page";
export { searchContent, type NamespaceVisibility, type SearchHit } from "./content/search";

// Moves (read handle: plans and checks; write handle: the moves).
export { checkMoveGroup, checkMoveNamespace } from "./move/move-checks";
export { moveGroup } from "./move/move-group";
export { moveNamespace, type MoveNamespaceResult } from "./move/move-namespace";
export { planMoveGroup, planMoveNamespace, type MovePlan, type PlannedGroup } from "./move/move-plan";

// Garbage collection.
export { garbageCollection } from "./gc/gc";
export { appendGcHistory, gcHistoryEntry, readGcHistory, type GcHistoryEntry } from "./gc/gc-history";
export { emptyGcStatus, humanByte, readGcStatus, type GcStatus } from "./gc/gc-status";

// Verify and prune.
export { defaultVerifyThreads } from "./verify/verify-pool";
export { VERIFY_FAILED_MESSAGE, verifyBackups, type VerifyScope } from "./verify/verify";
export { KEEP_OPTION_NAMES, planPrune, pruneGroup, pruneResults, type KeepOptions, type PrunePlanEntry } from "./prune/prune";

// Backups and restores.
export { archiveSpec, checkDistinct, checkSource, parseArchiveSpec, type ArchiveSpec } from "./backup/archive-spec";
export { runBackup, type BackupOptions, type BackupResult } from "./backup/backup";
export { CHUNK_SIZE_RULE, DEFAULT_DIRECTORY_CHUNK_SIZE, DEFAULT_IMAGE_CHUNK_SIZE, isChunkSizeKiB } from "./backup/chunk-size";
export { encodeEntries, type StreamEntry } from "./backup/dir-stream";
export { humanSize } from "./backup/progress";
export { MIB } from "./backup/rate-limit";
export { restoreArchive } from "./backup/restore";
export { SnapshotWriter } from "./backup/snapshot-writer";

// Locks a support tool may hold by hand (`coffer debug hold-lock`).
export { lockGroup, lockSnapshot } from "./locking/locks";

// Restores from the browser: archives of a snapshot, directory listings, downloads.
export { archiveBaseName, browseArchive, listArchives, openDownload, type ArchiveInfo, type ArchiveKind, type BrowseEntry, type BrowseResult, type Download } from "./restore/download";
