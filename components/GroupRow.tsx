"use client";
/** A backup group (`vm/100`); expanding it lists its snapshots. Empty groups are leaves. */
import type { GroupListItem } from "@/server/datastore/model/types";
import { Badge } from "./Badge";
import { contentHref } from "./content-links";
import { ShowInTree } from "./ShowInTree";
import { firstLine, formatUtcTime, inNamespace } from "./format";
import { Icon } from "./Icon";
import { RowActionsMenu } from "./RowActionsMenu";
import { TreeRow } from "./TreeRow";
import { useBackupPermissions } from "./useContentPermissions";
import { useContentTree } from "./useContentTree";

export function GroupRow({
  ns,
  group,
  rowKey,
  level,
  posInSet,
  setSize,
  searchHit,
}: {
  ns: string;
  group: GroupListItem;
  rowKey: string;
  level: number;
  posInSet: number;
  setSize?: number;
  /** A search result: says where it lives and links to it in the tree. */
  searchHit?: boolean;
}) {
  const tree = useContentTree();
  const name = `${group["backup-type"]}/${group["backup-id"]}`;
  const ref = { type: group["backup-type"], id: group["backup-id"] };
  const empty = group["backup-count"] === 0;
  // A move holds this group's lock: every change (and a verify) would be refused until it ends.
  const moving = group.moving ? "A move holds this group right now; try again when it is done" : undefined;
  const blocked = tree.changesBlocked ?? moving;
  const may = useBackupPermissions(ns, group.owner);
  return (
    <TreeRow
      rowKey={rowKey}
      level={level}
      posInSet={posInSet}
      setSize={setSize}
      expandable={!empty}
      name={`Group ${name}${inNamespace(ns)}`}
      title={`Group ${name}${inNamespace(ns)}`}
      icon={<Icon name={group["backup-type"]} className="tree__icon tree__icon--group" />}
      label={
        <>
          <span className="tree__label">{name}</span>
          {searchHit && <span className="tree__where">in {ns === "" ? "the root namespace" : ns}</span>}
        </>
      }
      badges={
        <>
          {empty ? (
            // PBS 4.2 keeps a group (with its notes and owner) after its last snapshot is gone.
            <Badge title="This group has no snapshots">Empty</Badge>
          ) : null}
          {moving ? (
            <Badge tone="info" title="A namespace or group move holds this group; it shows up at its new place when the move is done">
              Moving
            </Badge>
          ) : null}
          {searchHit && <ShowInTree href={contentHref(tree.store, ns, ref)} what={`group ${name}${inNamespace(ns)}`} />}
        </>
      }
      actions={
        <RowActionsMenu
          rowKey={rowKey}
          itemName={`group ${name}${inNamespace(ns)}`}
          sections={[
            [{ label: "Edit notes", icon: "edit", onSelect: () => tree.openDialog({ kind: "group-notes", ns, group: ref }), disabledReason: blocked ?? may.notes() }],
            [
              {
                label: "Verify",
                icon: "check",
                onSelect: () => tree.openDialog({ kind: "verify", ns, group: ref }),
                disabledReason: moving ?? may.verify() ?? (empty ? "This group has no snapshots" : undefined),
              },
              {
                label: "Prune",
                icon: "scissors",
                onSelect: () => tree.openDialog({ kind: "prune", ns, group: ref }),
                disabledReason: blocked ?? may.prune() ?? (empty ? "This group has no snapshots" : undefined),
              },
            ],
            [
              { label: "Move Group", icon: "move", onSelect: () => tree.openDialog({ kind: "move-group", ns, group: ref }), disabledReason: blocked ?? may.move() },
              {
                label: "Change owner",
                icon: "owner",
                onSelect: () => tree.openDialog({ kind: "change-owner", ns, group: ref, owner: group.owner, limitedToOwn: may.ownerOnly }),
                disabledReason: blocked ?? may.changeOwner(),
              },
            ],
            [
              {
                label: "Delete group",
                icon: "trash",
                tone: "danger",
                onSelect: () => tree.openDialog({ kind: "delete-group", ns, group }),
                disabledReason: blocked ?? may.remove("group"),
              },
            ],
          ]}
        />
      }
    >
      <td role="gridcell" className="nowrap">
        {group["last-backup"] > 0 ? formatUtcTime(group["last-backup"]) : <span className="muted">—</span>}
      </td>
      <td role="gridcell" className="num">
        {group["backup-count"]}
      </td>
      <td role="gridcell" />
      <td role="gridcell" />
      <td role="gridcell" className="nowrap">
        {group.owner}
      </td>
      <td role="gridcell" className="truncate" title={group.comment}>
        {firstLine(group.comment)}
      </td>
    </TreeRow>
  );
}
