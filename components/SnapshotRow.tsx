"use client";
/** One snapshot of a group: when it was taken, its size and its state. */
import type { SnapshotListItem } from "@/server/datastore/types";
import { Badge } from "./Badge";
import { firstLine, formatSize, formatUtcTime, inNamespace, snapshotName } from "./format";
import { Icon } from "./Icon";
import { TreeRow } from "./TreeRow";

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
  const group = `${snapshot["backup-type"]}/${snapshot["backup-id"]}`;
  const time = formatUtcTime(snapshot["backup-time"]);
  const fullName = snapshotName(snapshot["backup-type"], snapshot["backup-id"], snapshot["backup-time"]);
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
          {snapshot.verification?.state === "failed" && <Badge tone="danger">Verify failed</Badge>}
        </>
      }
    >
      <td role="gridcell" />
      <td role="gridcell" />
      <td role="gridcell" className="num">
        {snapshot.size !== undefined ? formatSize(snapshot.size) : <span className="muted">—</span>}
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
