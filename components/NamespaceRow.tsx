"use client";
/** A namespace in the content tree; expanding it shows its child namespaces and groups. */
import { BackupNamespace, MAX_NAMESPACE_DEPTH } from "@/server/datastore/model/names";
import type { NamespaceListItem } from "@/server/datastore/model/types";
import { contentHref } from "./content-links";
import { firstLine } from "./format";
import { ShowInTree } from "./ShowInTree";
import { Icon } from "./Icon";
import { RowActionsMenu } from "./RowActionsMenu";
import { TreeRow } from "./TreeRow";
import { useNamespacePermissions } from "./useContentPermissions";
import { useContentTree } from "./useContentTree";

export function NamespaceRow({
  item,
  rowKey,
  level,
  posInSet,
  setSize,
  searchHit,
}: {
  item: NamespaceListItem;
  rowKey: string;
  level: number;
  posInSet: number;
  setSize?: number;
  /** A search result: shown with its full path and a link to it in the tree, not expanded here. */
  searchHit?: boolean;
}) {
  const tree = useContentTree();
  const name = item.ns.slice(item.ns.lastIndexOf("/") + 1);
  const depth = BackupNamespace.parse(item.ns).depth;
  const blocked = tree.changesBlocked;
  const may = useNamespacePermissions(item.ns);
  if (item.pathOnly) {
    // No role here, only further down: a way through, with nothing to act on.
    return (
      <TreeRow
        rowKey={rowKey}
        level={level}
        posInSet={posInSet}
        setSize={setSize}
        expandable
        name={`Namespace ${item.ns} (path only)`}
        title={`Namespace ${item.ns}: you have access only to namespaces below it`}
        icon={<Icon name="folder" className="tree__icon tree__icon--namespace" />}
        label={
          <span className="tree__label tree__label--namespace tree__label--path-only">
            {name} <span className="muted">· path only</span>
          </span>
        }
        actions={null}
      >
        <td role="gridcell" colSpan={6} />
      </TreeRow>
    );
  }
  return (
    <TreeRow
      rowKey={rowKey}
      level={level}
      posInSet={posInSet}
      setSize={setSize}
      expandable={!searchHit}
      name={`Namespace ${item.ns}`}
      title={`Namespace ${item.ns}`}
      icon={<Icon name="folder" className="tree__icon tree__icon--namespace" />}
      label={<span className="tree__label tree__label--namespace">{searchHit ? item.ns : name}</span>}
      badges={searchHit ? <ShowInTree href={contentHref(tree.store, item.ns)} what={`namespace ${item.ns}`} /> : null}
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
                disabledReason: blocked ?? may.create() ?? (depth >= MAX_NAMESPACE_DEPTH ? `namespaces cannot be deeper than ${MAX_NAMESPACE_DEPTH} levels` : undefined),
              },
            ],
            [{ label: "Verify namespace", icon: "check", onSelect: () => tree.openDialog({ kind: "verify", ns: item.ns }), disabledReason: may.verify() }],
            [{ label: "Move Namespace", icon: "move", onSelect: () => tree.openDialog({ kind: "move-namespace", ns: item.ns }), disabledReason: blocked ?? may.move() }],
            [
              {
                label: "Delete namespace",
                icon: "trash",
                tone: "danger",
                onSelect: () => tree.openDialog({ kind: "delete-namespace", ns: item.ns }),
                disabledReason: blocked ?? may.remove(),
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
