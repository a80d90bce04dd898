/**
 * Shapes of what the engine lists, keyed as PBS's API has them (kebab-case, `backup-time` in
 * epoch seconds), so that the CLI's JSON output and the tRPC API return the same documents.
 * Pure types: safe to import from components.
 */
import type { BackupType } from "./names";

export type CryptMode = "none" | "encrypt" | "sign-only";

export interface NamespaceListItem {
  /** Namespace name, `""` for the root. */
  ns: string;
  comment?: string;
  /**
   * Listed only because the caller may see something below it (a Coffer addition to PBS's
   * item): the console shows it as a path to walk through, with no groups and no actions.
   */
  pathOnly?: true;
}

export interface BackupContent {
  filename: string;
  "crypt-mode"?: CryptMode;
  size?: number;
}

export interface GroupListItem {
  "backup-type": BackupType;
  "backup-id": string;
  /** Epoch seconds of the last finished snapshot; 0 for an empty group. */
  "last-backup": number;
  /** Number of snapshots (finished and unfinished). */
  "backup-count": number;
  /** Archives of the last finished snapshot. */
  files: string[];
  owner?: string;
  /** First line of the group notes. */
  comment?: string;
  /** A move task holds the group's lock: it is on its way to (or from) another namespace. */
  moving?: true;
}

export interface VerifyState {
  state: "ok" | "failed";
  upid: string;
}

export interface SnapshotListItem {
  "backup-type": BackupType;
  "backup-id": string;
  "backup-time": number;
  /** First line of the snapshot notes. */
  comment?: string;
  verification?: VerifyState;
  fingerprint?: string;
  files: BackupContent[];
  /** Sum of the file sizes; absent for an unfinished snapshot without sizes. */
  size?: number;
  owner?: string;
  protected: boolean;
  /** Coffer addition: false for a snapshot without a manifest (PBS shows these as partial). */
  finished: boolean;
}

export type Operation = "lookup" | "read" | "write";

export interface ActiveOperationCounts {
  read: number;
  write: number;
}

export type MaintenanceType = "read-only" | "offline" | "delete" | "unmount" | "s3-refresh";

export interface MaintenanceMode {
  type: MaintenanceType;
  message?: string;
}
