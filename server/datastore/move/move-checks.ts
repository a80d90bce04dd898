/**
 * Pre-flight checks of move-group and move-namespace (reference 4.2), in PBS's order and with
 * its texts. One function each, used twice: by the API and the CLI before a task exists (a
 * refused request creates no task), and again inside the worker, because there are no namespace
 * locks: the state may have changed between the request and the task, and only the second check
 * (and, per group, the re-check under the group lock) is authoritative.
 */
import { CofferError } from "../model/errors";
import { groupExists } from "../content/group";
import { type BackupNamespace, type GroupRef, groupPath } from "../model/names";
import { namespaceExists } from "../content/namespace";
import type { Store } from "../storage/store";
import { readStoreOf, type ReadHandle } from "../open";

/** The group pre-flight check on a read handle (the API and CLI, before a task exists). */
export async function checkMoveGroup(
  ds: ReadHandle,
  sourceNs: BackupNamespace,
  targetNs: BackupNamespace,
  group: GroupRef,
  mergeGroup: boolean,
): Promise<void> {
  return checkMoveGroupIn(readStoreOf(ds), sourceNs, targetNs, group, mergeGroup);
}

/** The namespace pre-flight check on a read handle (the API and CLI, before a task exists). */
export async function checkMoveNamespace(ds: ReadHandle, sourceNs: BackupNamespace, targetNs: BackupNamespace): Promise<void> {
  return checkMoveNamespaceIn(readStoreOf(ds), sourceNs, targetNs);
}

/**
 * PBS's checks before a group moves, in PBS's order. `known.sourceExists`: the caller has just
 * seen proof that the source group exists (its owner file), so it is not looked for again.
 */
export async function checkMoveGroupIn(
  store: Store,
  sourceNs: BackupNamespace,
  targetNs: BackupNamespace,
  group: GroupRef,
  mergeGroup: boolean,
  known: { sourceExists?: boolean } = {},
): Promise<void> {
  if (sourceNs.equals(targetNs)) throw new CofferError("BAD_REQUEST", "source and target namespace must be different");
  if (!(await namespaceExists(store, targetNs))) {
    throw new CofferError("NOT_FOUND", `target namespace '${targetNs}' does not exist`);
  }
  if (!known.sourceExists && !(await groupExists(store, sourceNs, group))) {
    throw new CofferError("NOT_FOUND", `group '${groupPath(group)}' does not exist in namespace '${sourceNs}'`);
  }
  if (!mergeGroup && (await groupExists(store, targetNs, group))) {
    throw new CofferError(
      "CONFLICT",
      `group '${groupPath(group)}' already exists in target namespace '${targetNs}' and merge-group is disabled`,
    );
  }
}

/**
 * Coffer refuses the root as a target of a namespace move (PBS does so at its API level, with
 * "Cannot create/delete root namespace!"); DESIGN.md 6 asks for a clear message instead.
 */
export async function checkMoveNamespaceIn(store: Store, sourceNs: BackupNamespace, targetNs: BackupNamespace): Promise<void> {
  if (sourceNs.isRoot) throw new CofferError("BAD_REQUEST", "cannot move root namespace");
  if (sourceNs.equals(targetNs)) throw new CofferError("BAD_REQUEST", "source and target namespace must be different");
  if (!(await namespaceExists(store, sourceNs))) {
    throw new CofferError("NOT_FOUND", `source namespace '${sourceNs}' does not exist`);
  }
  if (targetNs.isRoot) {
    throw new CofferError(
      "BAD_REQUEST",
      "cannot move a namespace into the root namespace: choose a target namespace name (a namespace's groups can be moved to the root one by one with group move)",
    );
  }
  const parent = targetNs.parent();
  if (!(await namespaceExists(store, parent))) {
    throw new CofferError("NOT_FOUND", `target parent namespace '${parent}' does not exist`);
  }
  if (sourceNs.contains(targetNs) !== undefined) {
    throw new CofferError("BAD_REQUEST", `cannot move namespace '${sourceNs}' into its own subtree (target: '${targetNs}')`);
  }
}
