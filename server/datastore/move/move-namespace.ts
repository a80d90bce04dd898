/**
 * Moving a namespace subtree (reference 4.7): target namespaces are created parent first, groups
 * are moved one at a time (each with its own short lock window), lock-conflicted groups are
 * deferred and retried once, emptied source namespaces are removed children first. Nothing is
 * rolled back after a partial failure: what moved stays moved, what did not stays at the
 * source, and running the same move again finishes the job (through the merge path).
 */
import { CofferError, errorMessage } from "../model/errors";
import { listGroups } from "../content/group";
import type { EngineLog } from "../model/log";
import { checkMoveNamespaceIn } from "./move-checks";
import { storeOf, type WriteHandle } from "../open";
import { MoveJournalWriter } from "./move-journal";
import { HardMoveError, lockAndMoveGroup, type MoveContext, type MoveTestOptions, type NsGroup, SoftMoveError } from "./move-group";
import { type BackupNamespace, checkNamespaceDepthLimit, groupPath, MAX_NAMESPACE_DEPTH } from "../model/names";
import { createNamespace, listChildNamespaces, listNamespacesRecursive, namespaceExists, removeNamespace } from "../content/namespace";
import type { Store } from "../storage/store";

export interface MoveNamespaceOptions {
  /** Levels below the source to include (0..7); default all. */
  maxDepth?: number;
  /** Remove emptied source namespaces (default true). */
  deleteSource?: boolean;
  /** Merge into groups that exist at the target (default true). */
  mergeGroups?: boolean;
}

export interface MoveNamespaceResult {
  moved: number;
  failedFatal: NsGroup[];
  failedRetryable: NsGroup[];
}

const where = (g: NsGroup) => `'${groupPath(g)}' in '${g.ns}'`;

export async function moveNamespace(
  ds: WriteHandle,
  sourceNs: BackupNamespace,
  targetNs: BackupNamespace,
  options: MoveNamespaceOptions,
  log: EngineLog,
  signal?: AbortSignal,
  test?: MoveTestOptions,
): Promise<MoveNamespaceResult> {
  const store = storeOf(ds);
  const mergeGroups = options.mergeGroups ?? true;
  const journal = new MoveJournalWriter(store.name, test?.journalHoldMs);
  const ctx: MoveContext = { store, journal, mergeGroups, log, signal, test };
  const deleteSource = options.deleteSource ?? true;
  await checkMoveNamespaceIn(store, sourceNs, targetNs);
  const depth = options.maxDepth ?? MAX_NAMESPACE_DEPTH;
  const attempted = await listNamespacesRecursive(store, sourceNs, depth);
  checkNamespaceDepthLimit(sourceNs, targetNs, attempted);
  log.info(`moving namespace '${sourceNs}' -> '${targetNs}': ${attempted.length} namespace(s)`);

  for (const ns of [...attempted].sort((a, b) => a.depth - b.depth)) {
    const mapped = ns.mapPrefix(sourceNs, targetNs);
    if (mapped.isRoot || (await namespaceExists(store, mapped))) continue;
    try {
      await createNamespace(store, mapped.parent(), mapped.name, { existOk: true });
    } catch (err) {
      throw new CofferError("INTERNAL", `failed to create target namespace '${mapped}': ${errorMessage(err)}`, { cause: err });
    }
  }

  // Counted up front only for progress lines; groups are still read per namespace as PBS does.
  let total = 0;
  for (const ns of attempted) total += (await listGroups(store, ns).catch(() => [])).length;

  const failedNs = new Set<string>();
  const failedFatal: NsGroup[] = [];
  const failedRetryable: NsGroup[] = [];
  const deferred: NsGroup[] = [];
  let moved = 0;

  /** Moves one group and counts it; a Soft or Hard failure is returned for the caller to sort. */
  const tryMove = async (group: NsGroup, retry: boolean): Promise<SoftMoveError | HardMoveError | undefined> => {
    signal?.throwIfAborted();
    try {
      await lockAndMoveGroup(ctx, sourceNs, group, targetNs);
    } catch (err) {
      if (err instanceof SoftMoveError || err instanceof HardMoveError) return err;
      throw err;
    }
    moved++;
    log.info(`moved group ${moved} of ${total} (${where(group)})${retry ? " on retry" : ""}`);
    return undefined;
  };

  try {
    for (const ns of attempted) {
      let groups;
      try {
        groups = await listGroups(store, ns);
      } catch (err) {
        log.warn(`failed to list groups in '${ns}': ${errorMessage(err)}`);
        failedNs.add(ns.toString());
        continue;
      }
      for (const g of groups) {
        const group: NsGroup = { ...g, ns };
        const failure = await tryMove(group, false);
        if (failure instanceof SoftMoveError) {
          log.info(`deferring group ${where(group)} - lock conflict, will retry: ${failure.message}`);
          deferred.push(group);
        } else if (failure) {
          log.warn(`failed to move group ${where(group)}: ${failure.message}`);
          failedFatal.push(group);
          failedNs.add(ns.toString());
        }
      }
    }
    // The retries come after a pause for the test seam; nobody should wait for the journal then.
    await journal.close();

    if (deferred.length > 0) {
      log.info(`retrying ${deferred.length} deferred group(s)...`);
      await test?.beforeRetry?.();
      for (const group of deferred) {
        const failure = await tryMove(group, true);
        if (!failure) continue;
        if (failure instanceof SoftMoveError) {
          log.warn(`still locked after retry: group ${where(group)}: ${failure.message}`);
          failedRetryable.push(group);
        } else {
          log.warn(`failed to move group ${where(group)} on retry: ${failure.message}`);
          failedFatal.push(group);
        }
        failedNs.add(group.ns.toString());
      }
    }
  } finally {
    await journal.close();
  }

  if (deleteSource) await cleanupSource(store, sourceNs, attempted, depth, failedNs, log);

  const failed = failedFatal.length + failedRetryable.length;
  if (failed > 0) {
    let msg = `namespace move partially completed; ${failed} group(s) could not be moved and remain at source`;
    if (failedFatal.length > 0) {
      msg += `; ${failedFatal.length} with a fatal error (investigate before retrying): ${failedFatal.map(where).join(", ")}`;
    }
    if (failedRetryable.length > 0) {
      msg += `; ${failedRetryable.length} still lock-conflicted (rerun move-namespace or move-group may succeed): ${failedRetryable.map(where).join(", ")}`;
    }
    throw new CofferError("CONFLICT", msg);
  }
  return { moved, failedFatal, failedRetryable };
}

/** Children first; a namespace that kept a group, or gained a child meanwhile, stays. */
async function cleanupSource(
  store: Store,
  sourceNs: BackupNamespace,
  attempted: BackupNamespace[],
  depth: number,
  failedNs: Set<string>,
  log: EngineLog,
): Promise<void> {
  const attemptedSet = new Set(attempted.map((n) => n.toString()));
  outer: for (const ns of [...attempted].reverse()) {
    for (const f of failedNs) {
      const failed = attempted.find((a) => a.toString() === f);
      if (f === ns.toString() || (failed && ns.contains(failed) !== undefined)) {
        log.warn(`skipping source namespace '${ns}' cleanup: contains group(s) that failed to move`);
        continue outer;
      }
    }
    let children: BackupNamespace[];
    try {
      children = await listChildNamespaces(store, ns);
    } catch (err) {
      log.warn(`failed to remove source namespace '${ns}': ${errorMessage(err)}`);
      continue;
    }
    for (const child of children) {
      if (attemptedSet.has(child.toString())) continue;
      if (child.depth <= sourceNs.depth + depth) {
        log.warn(`skipping source namespace '${ns}' cleanup: child namespace '${child}' was created after the move started`);
      } else {
        log.debug(`keeping source namespace '${ns}': contains namespace(s) excluded by max-depth`);
      }
      continue outer;
    }
    try {
      const r = await removeNamespace(store, ns, false, log);
      if (!r.removedAll) log.warn(`source namespace '${ns}' was not fully removed (non-empty after move)`);
    } catch (err) {
      log.warn(`failed to remove source namespace '${ns}': ${errorMessage(err)}`);
    }
  }
}
