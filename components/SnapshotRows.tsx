"use client";
/** The snapshots of one group, loaded when the group is expanded, newest first. */
import { useQuery } from "@tanstack/react-query";
import type { GroupRef } from "@/server/datastore/names";
import { useTRPC } from "./TrpcProvider";
import { SnapshotRow } from "./SnapshotRow";
import { TreeStatusRow } from "./TreeStatusRow";
import { childKey, useContentTree } from "./useContentTree";

export function SnapshotRows({
  ns,
  group,
  level,
  parentKey,
}: {
  ns: string;
  group: GroupRef;
  level: number;
  parentKey: string;
}) {
  const trpc = useTRPC();
  const { store } = useContentTree();
  const snapshots = useQuery({
    ...trpc.snapshot.list.queryOptions({ store, ns, group }),
    select: (list) => [...list].sort((a, b) => b["backup-time"] - a["backup-time"]),
  });

  if (snapshots.isPending) return <TreeStatusRow level={level} kind="loading">Loading snapshots…</TreeStatusRow>;
  if (snapshots.isError) {
    return (
      <TreeStatusRow level={level} kind="error">
        Could not list snapshots: {snapshots.error.message}
      </TreeStatusRow>
    );
  }
  if (snapshots.data.length === 0) return <TreeStatusRow level={level} kind="empty">No snapshots</TreeStatusRow>;
  return (
    <>
      {snapshots.data.map((s, i) => (
        <SnapshotRow
          key={s["backup-time"]}
          ns={ns}
          snapshot={s}
          rowKey={childKey(parentKey, `s:${s["backup-time"]}`)}
          level={level}
          posInSet={i + 1}
          setSize={snapshots.data.length}
        />
      ))}
    </>
  );
}
