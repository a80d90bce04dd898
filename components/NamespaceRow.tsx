"use client";
/** A namespace in the content tree; expanding it shows its child namespaces and groups. */
import type { NamespaceListItem } from "@/server/datastore/types";
import { firstLine } from "./format";
import { Icon } from "./Icon";
import { TreeRow } from "./TreeRow";

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
  const name = item.ns.slice(item.ns.lastIndexOf("/") + 1);
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
    >
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
