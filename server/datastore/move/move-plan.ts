/**
 * Dry runs of move-group and move-namespace (DESIGN.md 6, beyond PBS): the exact plan, built by
 * the same checks the real move runs, changing nothing. When nothing changes in between, the
 * real move does what its plan says: the same groups move, merge or stay for the same reasons.
 */
import { describeHolders, errorMessage } from "../model/errors";
import { groupExists, listGroups, readOwner } from "../content/group";
import { groupLockPath } from "../locking/lock-names";
import { readLockHolders } from "../../platform/file-lock";
import { checkMoveGroupIn, checkMoveNamespaceIn } from "./move-checks";
import { readStoreOf, type ReadHandle } from "../open";
import { findTimeConflict } from "./move-group";
import { type BackupNamespace, type BackupType, formatBackupTime, type GroupRef, MAX_NAMESPACE_DEPTH } from "../model/names";
import { listChildNamespaces, listNamespacesRecursive, namespaceExists } from "../content/namespace";
import { listSnapshotTimes } from "../content/snapshot";
import type { Store } from "../storage/store";

export type PlannedAction = "move" | "merge" | "conflict" | "locked";

export interface PlannedGroup {
  ns: string;
  "backup-type": BackupType;
  "backup-id": string;
  "target-ns": string;
  /** move: new at the target; merge: joins an existing group; conflict: refused (Hard); locked: deferred and retried once (Soft). */
  action: PlannedAction;
  reason?: string;
  snapshots: number;
}

export interface DepthCheck {
  ok: boolean;
  "subtree-depth": number;
  "target-depth": number;
  max: number;
  message?: string;
}

export interface MovePlan {
  "source-ns": string;
  "target-ns": string;
  groups: PlannedGroup[];
  "namespaces-created": string[];
  "namespaces-removed": string[];
  "namespaces-kept": { ns: string; reason: string }[];
  "depth-check": DepthCheck;
  /** What the move would end with, as its task would say it. */
  summary: string;
}

async function planGroup(
  store: Store,
  sourceRoot: BackupNamespace,
  ns: BackupNamespace,
  g: GroupRef,
  targetRoot: BackupNamespace,
  merge: boolean,
): Promise<PlannedGroup> {
  const targetNs = ns.mapPrefix(sourceRoot, targetRoot);
  const snapshots = (await listSnapshotTimes(store, ns, g)).length;
  const base = { ns: ns.toString(), "backup-type": g.type, "backup-id": g.id, "target-ns": targetNs.toString(), snapshots };
  const holders = [
    ...(await readLockHolders(groupLockPath(store.name, ns, g))),
    ...(await readLockHolders(groupLockPath(store.name, targetNs, g))),
  ];
  if (holders.length > 0) {
    return { ...base, action: "locked", reason: `group lock ${describeHolders(holders)}; it will be retried once` };
  }
  if (!(await groupExists(store, targetNs, g))) return { ...base, action: "move" };
  if (!merge) {
    return { ...base, action: "conflict", reason: `group already exists in target namespace '${targetNs}' and merging is disabled` };
  }
  try {
    const [so, to] = [await readOwner(store, ns, g), await readOwner(store, targetNs, g)];
    if (so !== to) return { ...base, action: "conflict", reason: `owner mismatch (source: ${so}, target: ${to})` };
  } catch (err) {
    return { ...base, action: "conflict", reason: errorMessage(err) };
  }
  const clash = await findTimeConflict(store, ns, targetNs, g);
  if (clash) {
    return {
      ...base,
      action: "conflict",
      reason: `snapshot time mismatch: target snapshot ${formatBackupTime(clash.target)} is not older than the oldest source snapshot ${formatBackupTime(clash.sourceOldest)}`,
    };
  }
  return { ...base, action: "merge" };
}

const failedOf = (groups: PlannedGroup[]) => groups.filter((g) => g.action === "conflict" || g.action === "locked");

function summarize(kind: "group" | "namespace", groups: PlannedGroup[], depth: DepthCheck): string {
  if (!depth.ok) return depth.message!;
  const failed = failedOf(groups);
  const moving = groups.length - failed.length;
  if (failed.length === 0) return `${moving} group(s) will be moved`;
  if (kind === "group") return `the group cannot be moved: ${failed[0]!.reason}`;
  return `${moving} group(s) will be moved; ${failed.length} group(s) could not be moved and would remain at source`;
}

/** The plan of a group move, from a read handle: a preview is a read (works in read-only maintenance). */
export async function planMoveGroup(
  ds: ReadHandle,
  ns: BackupNamespace,
  g: GroupRef,
  targetNs: BackupNamespace,
  mergeGroup: boolean,
): Promise<MovePlan> {
  const store = readStoreOf(ds);
  await checkMoveGroupIn(store, ns, targetNs, g, mergeGroup);
  const group = await planGroup(store, ns, ns, g, targetNs, mergeGroup);
  const depth: DepthCheck = { ok: true, "subtree-depth": 0, "target-depth": targetNs.depth, max: MAX_NAMESPACE_DEPTH };
  return {
    "source-ns": ns.toString(),
    "target-ns": targetNs.toString(),
    groups: [group],
    "namespaces-created": [],
    "namespaces-removed": [],
    "namespaces-kept": [],
    "depth-check": depth,
    summary: summarize("group", [group], depth),
  };
}

/** The plan of a namespace move, from a read handle (a preview is a read). */
export async function planMoveNamespace(
  ds: ReadHandle,
  sourceNs: BackupNamespace,
  targetNs: BackupNamespace,
  options: { maxDepth?: number; deleteSource?: boolean; mergeGroups?: boolean },
): Promise<MovePlan> {
  const store = readStoreOf(ds);
  await checkMoveNamespaceIn(store, sourceNs, targetNs);
  const depthLimit = options.maxDepth ?? MAX_NAMESPACE_DEPTH;
  const attempted = await listNamespacesRecursive(store, sourceNs, depthLimit);
  const sub = Math.max(...attempted.map((n) => n.depth)) - sourceNs.depth;
  const depth: DepthCheck = {
    ok: sub + targetNs.depth <= MAX_NAMESPACE_DEPTH,
    "subtree-depth": sub,
    "target-depth": targetNs.depth,
    max: MAX_NAMESPACE_DEPTH,
  };
  if (!depth.ok) {
    depth.message = `namespace depth limit exceeded: source subtree depth (${sub}) + target depth (${targetNs.depth}) would exceed max (${MAX_NAMESPACE_DEPTH})`;
  }
  const created: string[] = [];
  const groups: PlannedGroup[] = [];
  for (const ns of attempted) {
    if (depth.ok) {
      const mapped = ns.mapPrefix(sourceNs, targetNs);
      if (!mapped.isRoot && !(await namespaceExists(store, mapped))) created.push(mapped.toString());
    }
    for (const g of await listGroups(store, ns)) {
      groups.push(
        depth.ok
          ? await planGroup(store, sourceNs, ns, g, targetNs, options.mergeGroups ?? true)
          : { ns: ns.toString(), "backup-type": g.type, "backup-id": g.id, "target-ns": "", action: "conflict", reason: depth.message, snapshots: (await listSnapshotTimes(store, ns, g)).length },
      );
    }
  }
  const removed: string[] = [];
  const kept: { ns: string; reason: string }[] = [];
  if (depth.ok && (options.deleteSource ?? true)) {
    const failedNs = failedOf(groups).map((g) => g.ns);
    const attemptedSet = new Set(attempted.map((n) => n.toString()));
    for (const ns of [...attempted].reverse()) {
      const failedBelow = failedNs.find((f) => ns.contains(attempted.find((a) => a.toString() === f)!) !== undefined);
      if (failedBelow !== undefined) {
        kept.push({ ns: ns.toString(), reason: "contains group(s) that cannot be moved" });
        continue;
      }
      const excluded = (await listChildNamespaces(store, ns)).find((c) => !attemptedSet.has(c.toString()));
      if (excluded) {
        kept.push({ ns: ns.toString(), reason: `child namespace '${excluded}' is excluded by max-depth` });
        continue;
      }
      if (kept.some((k) => ns.contains(parseKept(attempted, k.ns)) !== undefined)) {
        kept.push({ ns: ns.toString(), reason: "a child namespace stays" });
        continue;
      }
      removed.push(ns.toString());
    }
  } else if (depth.ok) {
    for (const ns of attempted) kept.push({ ns: ns.toString(), reason: "delete-source is off" });
  }
  return {
    "source-ns": sourceNs.toString(),
    "target-ns": targetNs.toString(),
    groups,
    "namespaces-created": created,
    "namespaces-removed": removed,
    "namespaces-kept": kept,
    "depth-check": depth,
    summary: summarize("namespace", groups, depth),
  };
}

function parseKept(attempted: BackupNamespace[], name: string): BackupNamespace {
  return attempted.find((a) => a.toString() === name)!;
}
