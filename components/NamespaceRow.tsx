"use client";
/** A namespace in the content tree; expanding it shows its child namespaces and groups. */
import { BackupNamespace, MAX_NAMESPACE_DEPTH } from "@/server/datastore/names";
import type { NamespaceListItem } from "@/server/datastore/types";
import { firstLine } from "./format";
import { Icon } from "./Icon";
import { RowActionsMenu } from "./RowActionsMenu";
import { TreeRow } from "./TreeRow";
import { useContentTree } from "./useContentTree";

export function NamespaceRow({
  item,
  rowKey,
  level,
  posInSet,
  setSize,
}: {
  item: NamespaceListItem;
  rowKey: string;
  level: number;
  posInSet: number;
  setSize?: number;
}) {
  const tree = useContentTree();
  const name = item.ns.slice(item.ns.lastIndexOf("/") + 1);
  const depth = BackupNamespace.parse(item.ns).depth;
  const blocked = tree.changesBlocked;
  return (
    <TreeRow
      rowKey={rowKey}
      level={level}
      posInSet={posInSet}
      setSize={setSize}
      expandable
      name={`Namespace ${item.ns}`}
      title={`Namespace ${item.ns}`}
      icon={<Icon name="folder" className="tree__icon tree__icon--namespace" />}
      label={<span className="tree__label tree__label--namespace">{name}</span>}
      actions={
        <RowActionsMenu
          rowKey={rowKey}
          itemName={`namespace ${item.ns}`}
          sections={[
            [
              {
                label: "Create namespace",
                icon: "plus",
                onSelect: () => tree.openDialog({ kind: "create-namespace", parent: item.ns }),
                disabledReason: blocked ?? (depth >= MAX_NAMESPACE_DEPTH ? `namespaces cannot be deeper than ${MAX_NAMESPACE_DEPTH} levels` : undefined),
              },
            ],
            // Verify and prune of the namespace come here with the datastore jobs.
            [{ label: "Move Namespace", icon: "move", onSelect: () => tree.openDialog({ kind: "move-namespace", ns: item.ns }), disabledReason: blocked }],
            [
              {
                label: "Delete namespace",
                icon: "trash",
                tone: "danger",
                onSelect: () => tree.openDialog({ kind: "delete-namespace", ns: item.ns }),
                disabledReason: blocked,
              },
            ],
          ]}
        />
      }
    >
      <td role="gridcell" />
      <td role="gridcell" />
      <td role="gridcell" />
      <td role="gridcell" />
      <td role="gridcell" />
      <td role="gridcell" className="truncate" title={item.comment}>
        {firstLine(item.comment)}
      </td>
    </TreeRow>
  );
}
