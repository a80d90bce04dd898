"use client";
/**
 * What a namespace holds, as rows: its child namespaces (folders first), then its groups. It
 * renders itself again for every expanded child namespace, so the recursion lives in one file.
 */
import { Fragment } from "react";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "./TrpcProvider";
import { GroupRow } from "./GroupRow";
import { NamespaceRow } from "./NamespaceRow";
import { SnapshotRows } from "./SnapshotRows";
import { TreeStatusRow } from "./TreeStatusRow";
import { childKey, useContentTree } from "./useContentTree";

export function NamespaceContent({ ns, level, parentKey }: { ns: string; level: number; parentKey: string }) {
  const trpc = useTRPC();
  const tree = useContentTree();
  const groups = useQuery(trpc.group.list.queryOptions({ store: tree.store, ns }));
  const namespaces = tree.namespaceChildren.get(ns) ?? [];
  const setSize = groups.data ? namespaces.length + groups.data.length : undefined;

  return (
    <>
      {namespaces.map((child, i) => {
        const key = childKey(parentKey, `ns:${child.ns}`);
        return (
          <Fragment key={key}>
            <NamespaceRow item={child} rowKey={key} level={level} posInSet={i + 1} setSize={setSize} />
            {tree.isExpanded(key) && <NamespaceContent ns={child.ns} level={level + 1} parentKey={key} />}
          </Fragment>
        );
      })}
      {groups.isPending ? (
        <TreeStatusRow level={level} kind="loading">
          Loading groups…
        </TreeStatusRow>
      ) : groups.isError ? (
        <TreeStatusRow level={level} kind="error">
          Could not list groups: {groups.error.message}
        </TreeStatusRow>
      ) : (
        groups.data.map((g, i) => {
          const ref = { type: g["backup-type"], id: g["backup-id"] };
          const key = childKey(parentKey, `g:${ref.type}/${ref.id}`);
          return (
            <Fragment key={key}>
              <GroupRow ns={ns} group={g} rowKey={key} level={level} posInSet={namespaces.length + i + 1} setSize={setSize} />
              {tree.isExpanded(key) && <SnapshotRows ns={ns} group={ref} level={level + 1} parentKey={key} />}
            </Fragment>
          );
        })
      )}
      {groups.data?.length === 0 && namespaces.length === 0 && (
        <TreeStatusRow level={level} kind="empty">
          {ns === "" ? "This datastore holds no backups yet." : "This namespace is empty."}
        </TreeStatusRow>
      )}
    </>
  );
}
