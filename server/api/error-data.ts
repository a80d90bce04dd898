/**
 * What a failed call tells the console besides its message: the engine's typed error, as data
 * (tRPC error `data.coffer`), so that no component has to parse English or UPIDs to explain a
 * lock conflict, a maintenance refusal or a "try again later".
 */
import {
  CofferError,
  LockConflictError,
  MaintenanceError,
  RetryLaterError,
  findCause,
  type ErrorCode,
} from "../datastore/model/errors";
import { parseUpid, taskDescription } from "../tasks";
import { redactPaths } from "./public-error";

export interface LockHolderData {
  pid: number;
  mode: "shared" | "exclusive";
  /** When the holder took the lock (epoch ms). */
  since: number;
  /** The task that holds it, when a task does. */
  task?: { upid: string; type: string; user: string; description: string };
}

export interface CofferErrorData {
  code: ErrorCode;
  /** A lock someone else holds. */
  lock?: { kind?: string; name: string; holders: LockHolderData[] };
  /** A datastore's maintenance mode refused the operation. */
  maintenance?: { store: string; mode: string; message?: string };
  /** Refused for now: try again after this many seconds. */
  retryAfterSeconds?: number;
}

function holderTask(upid: string | undefined): LockHolderData["task"] {
  if (!upid) return undefined;
  try {
    const u = parseUpid(upid);
    return { upid, type: u.workerType, user: u.authId, description: taskDescription(u.workerType, u.workerId) };
  } catch {
    return undefined;
  }
}

/** The typed data of an engine error anywhere in `err`'s cause chain; null for anything else. */
export function errorData(err: unknown): CofferErrorData | null {
  const base = findCause(err, CofferError);
  if (!base) return null;
  const out: CofferErrorData = { code: base.code };
  const lock = findCause(err, LockConflictError);
  if (lock) {
    out.lock = {
      ...(lock.lockKind ? { kind: lock.lockKind } : {}),
      name: redactPaths(lock.lockPath),
      holders: lock.holders.map((h) => {
        const task = holderTask(h.upid);
        return { pid: h.pid, mode: h.mode, since: h.since, ...(task ? { task } : {}) };
      }),
    };
  }
  const maintenance = findCause(err, MaintenanceError);
  if (maintenance) {
    out.maintenance = {
      store: maintenance.store,
      mode: maintenance.mode,
      ...(maintenance.maintenanceMessage ? { message: maintenance.maintenanceMessage } : {}),
    };
  }
  const later = findCause(err, RetryLaterError);
  if (later) out.retryAfterSeconds = Math.max(1, Math.ceil(later.retryAfterMs / 1000));
  return out;
}
