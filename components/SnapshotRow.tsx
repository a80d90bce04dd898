"use client";
/** One snapshot of a group: when it was taken, its size and its state. */
import type { SnapshotListItem } from "@/server/datastore/model/types";
import { Badge } from "./Badge";
import { firstLine, formatSize, formatUtcTime, inNamespace, snapshotName } from "./format";
import { Icon } from "./Icon";
import { RowActionsMenu } from "./RowActionsMenu";
import { TreeRow } from "./TreeRow";
import { useBackupPermissions } from "./useContentPermissions";
import { useContentTree } from "./useContentTree";
import { useTRPC } from "./TrpcProvider";
import { useMutation } from "@tanstack/react-query";

export function SnapshotRow({
  ns,
  snapshot,
  rowKey,
  level,
  posInSet,
  setSize,
}: {
  ns: string;
  snapshot: SnapshotListItem;
  rowKey: string;
  level: number;
  posInSet: number;
  setSize: number;
}) {
  const tree = useContentTree();
  const trpc = useTRPC();
  const protect = useMutation(trpc.snapshot.setProtected.mutationOptions());
  const group = `${snapshot["backup-type"]}/${snapshot["backup-id"]}`;
  const time = formatUtcTime(snapshot["backup-time"]);
  const fullName = snapshotName(snapshot["backup-type"], snapshot["backup-id"], snapshot["backup-time"]);
  const ref = { type: snapshot["backup-type"], id: snapshot["backup-id"], time: snapshot["backup-time"] };
  const blocked = tree.changesBlocked;
  const may = useBackupPermissions(ns, snapshot.owner);
  const verify = snapshot.verification?.state;
  return (
    <TreeRow
      rowKey={rowKey}
      level={level}
      posInSet={posInSet}
      setSize={setSize}
      expandable={false}
      name={`Snapshot ${group} ${time}${inNamespace(ns)}`}
      title={`Snapshot ${fullName}${inNamespace(ns)}`}
      icon={<Icon name="snapshot" className="tree__icon tree__icon--snapshot" />}
      label={<span className="tree__label tree__label--snapshot">{time}</span>}
      tone={verify === "failed" ? "danger" : undefined}
      badges={
        <>
          {snapshot.protected && (
            <Badge tone="info" title="Protected: prune and remove keep this snapshot">
              <Icon name="shield" />
              Protected
            </Badge>
          )}
          {!snapshot.finished && (
            <Badge tone="warning" title="Unfinished: the backup did not complete (no manifest)">
              <Icon name="hourglass" />
              Unfinished
            </Badge>
          )}
        </>
      }
      actions={
        <RowActionsMenu
          rowKey={rowKey}
          itemName={`snapshot ${fullName}${inNamespace(ns)}`}
          sections={[
            [
              {
                label: snapshot.protected ? "Unprotect" : "Protect",
                icon: "shield",
                onSelect: () =>
                  tree.runAction(snapshot.protected ? `unprotect ${fullName}` : `protect ${fullName}`, () =>
                    protect.mutateAsync({ store: tree.store, ns, snapshot: ref, protected: !snapshot.protected }),
                  ),
                disabledReason: blocked ?? may.protect() ?? (snapshot.finished ? undefined : "the snapshot is unfinished"),
              },
              {
                label: "Edit notes",
                icon: "edit",
                onSelect: () => tree.openDialog({ kind: "snapshot-notes", ns, snapshot: ref }),
                disabledReason: blocked ?? may.notes() ?? (snapshot.finished ? undefined : "an unfinished snapshot has no manifest for notes"),
              },
            ],
            [
              {
                label: "Restore / Download…",
                icon: "download",
                onSelect: () => tree.openDialog({ kind: "restore", ns, snapshot: ref }),
                disabledReason: may.restore() ?? (snapshot.finished ? undefined : "an unfinished snapshot cannot be restored"),
              },
              {
                label: "Verify",
                icon: "check",
                onSelect: () => tree.openDialog({ kind: "verify", ns, snapshot: ref }),
                disabledReason: may.verify() ?? (snapshot.finished ? undefined : "an unfinished snapshot cannot be verified"),
              },
            ],
            [
              {
                label: "Delete snapshot",
                icon: "trash",
                tone: "danger",
                onSelect: () => tree.openDialog({ kind: "delete-snapshot", ns, snapshot }),
                disabledReason: blocked ?? may.remove("snapshot") ?? (snapshot.protected ? "protected snapshots cannot be deleted; unprotect it first" : undefined),
              },
            ],
          ]}
        />
      }
    >
      <td role="gridcell" />
      <td role="gridcell" />
      <td role="gridcell" className="num">
        {snapshot.size !== undefined ? formatSize(snapshot.size) : <span className="muted">—</span>}
      </td>
      <td role="gridcell" className="nowrap">
        {verify === "ok" ? (
          <Badge tone="success">
            <Icon name="check" />
            OK
          </Badge>
        ) : verify === "failed" ? (
          <Badge tone="danger">Failed</Badge>
        ) : (
          <span className="muted">None</span>
        )}
      </td>
      <td role="gridcell" className="nowrap">
        {snapshot.owner}
      </td>
      <td role="gridcell" className="truncate" title={snapshot.comment}>
        {firstLine(snapshot.comment)}
      </td>
    </TreeRow>
  );
}
