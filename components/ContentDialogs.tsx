"use client";
/**
 * The dialogs the content tree's row menus open, one at a time, and the Task Viewer that follows
 * a move, verify or prune once it has started (the tree reloads when the task ends, whatever its outcome: a
 * partial move has changed the content too).
 */
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { ChangeOwnerDialog } from "./ChangeOwnerDialog";
import { ConfirmDialog } from "./ConfirmDialog";
import { CreateNamespaceDialog } from "./CreateNamespaceDialog";
import { formatUtcTime, snapshotName } from "./format";
import { MoveGroupDialog } from "./MoveGroupDialog";
import { MoveNamespaceDialog } from "./MoveNamespaceDialog";
import { NotesDialog } from "./NotesDialog";
import { PruneDialog } from "./PruneDialog";
import { RestoreDialog } from "./RestoreDialog";
import { VerifyDialog } from "./VerifyDialog";
import { TaskViewerDialog } from "./TaskViewerDialog";
import { useTRPC } from "./TrpcProvider";
import type { ContentDialog } from "./useContentTree";

const where = (ns: string) => (ns === "" ? "the root namespace" : `namespace ${ns}`);

function DeleteNamespaceBody({ store, ns, allNamespaces, deleteGroups, setDeleteGroups }: {
  store: string;
  ns: string;
  allNamespaces: readonly string[];
  deleteGroups: boolean;
  setDeleteGroups(v: boolean): void;
}) {
  const trpc = useTRPC();
  const children = allNamespaces.filter((n) => n.startsWith(`${ns}/`));
  const groups = useQuery(trpc.group.list.queryOptions({ store, ns, limit: 1 }));
  const count = groups.data?.total;
  return (
    <>
      <p className="dialog__text">
        Namespace <strong>{ns}</strong>
        {children.length > 0 ? (
          <>
            {" "}
            and its {children.length} child namespace(s) ({children.slice(0, 5).join(", ")}
            {children.length > 5 ? ", …" : ""})
          </>
        ) : null}{" "}
        will be removed. {count === undefined ? "" : `It holds ${count} group(s) directly.`}
      </p>
      <label className="check">
        <input type="checkbox" checked={deleteGroups} onChange={(e) => setDeleteGroups(e.target.checked)} />
        Also delete every group and snapshot in it and its children
      </label>
      <p className="field__hint">
        {deleteGroups
          ? "Their snapshots are deleted for good; protected snapshots are kept, and with them their namespaces."
          : "Without this, only empty namespaces are removed; any that hold groups stay."}
      </p>
    </>
  );
}

export function ContentDialogs({
  store,
  dialog,
  onClose,
  onChanged,
  allNamespaces,
}: {
  store: string;
  dialog: ContentDialog | null;
  onClose(): void;
  onChanged(): void;
  allNamespaces: readonly string[];
}) {
  const trpc = useTRPC();
  const [taskUpid, setTaskUpid] = useState<string | null>(null);
  const [deleteGroups, setDeleteGroups] = useState(false);
  const deleteNamespace = useMutation(trpc.namespace.delete.mutationOptions());
  const deleteGroup = useMutation(trpc.group.delete.mutationOptions());
  const deleteSnapshot = useMutation(trpc.snapshot.delete.mutationOptions());
  const started = (upid: string) => {
    onClose();
    setTaskUpid(upid);
  };

  let content = null;
  switch (dialog?.kind) {
    case "create-namespace":
      content = <CreateNamespaceDialog store={store} parent={dialog.parent} onClose={onClose} onCreated={onChanged} />;
      break;
    case "move-group":
      content = <MoveGroupDialog store={store} ns={dialog.ns} group={dialog.group} namespaces={allNamespaces} onClose={onClose} onStarted={started} />;
      break;
    case "move-namespace":
      content = <MoveNamespaceDialog store={store} ns={dialog.ns} namespaces={allNamespaces} onClose={onClose} onStarted={started} />;
      break;
    case "group-notes":
      content = <NotesDialog store={store} target={{ kind: "group", ns: dialog.ns, group: dialog.group }} onClose={onClose} onSaved={onChanged} />;
      break;
    case "change-owner":
      content = (
        <ChangeOwnerDialog
          store={store}
          ns={dialog.ns}
          group={dialog.group}
          owner={dialog.owner}
          limitedToOwn={dialog.limitedToOwn}
          onClose={onClose}
          onChanged={onChanged}
        />
      );
      break;
    case "snapshot-notes":
      content = <NotesDialog store={store} target={{ kind: "snapshot", ns: dialog.ns, snapshot: dialog.snapshot }} onClose={onClose} onSaved={onChanged} />;
      break;
    case "verify":
      content = <VerifyDialog store={store} scope={dialog} onClose={onClose} onStarted={started} />;
      break;
    case "prune":
      content = <PruneDialog store={store} ns={dialog.ns} group={dialog.group} onClose={onClose} onStarted={started} />;
      break;
    case "restore":
      content = <RestoreDialog store={store} ns={dialog.ns} snapshot={dialog.snapshot} onClose={onClose} />;
      break;
    case "delete-namespace":
      content = (
        <ConfirmDialog
          open
          onClose={() => {
            setDeleteGroups(false);
            onClose();
          }}
          title={`Delete namespace ${dialog.ns}`}
          confirmLabel="Delete"
          onConfirm={() => deleteNamespace.mutateAsync({ store, ns: dialog.ns, deleteGroups })}
          onDone={onChanged}
        >
          <DeleteNamespaceBody store={store} ns={dialog.ns} allNamespaces={allNamespaces} deleteGroups={deleteGroups} setDeleteGroups={setDeleteGroups} />
        </ConfirmDialog>
      );
      break;
    case "delete-group": {
      const g = dialog.group;
      const name = `${g["backup-type"]}/${g["backup-id"]}`;
      content = (
        <ConfirmDialog
          open
          onClose={onClose}
          title={`Delete group ${name}`}
          description={`In ${where(dialog.ns)} of ${store}.`}
          confirmLabel="Delete"
          onConfirm={() => deleteGroup.mutateAsync({ store, ns: dialog.ns, group: { type: g["backup-type"], id: g["backup-id"] } })}
          onDone={onChanged}
        >
          <p className="dialog__text">
            {g["backup-count"] > 0 ? (
              <>
                Its <strong>{g["backup-count"]} snapshot(s)</strong>
                {g["last-backup"] > 0 ? <> (the newest from {formatUtcTime(g["last-backup"])} UTC)</> : null} are deleted, then the group
                with its owner ({g.owner ?? "none"}) and notes.
              </>
            ) : (
              <>The group has no snapshots; its owner ({g.owner ?? "none"}) and notes are removed.</>
            )}{" "}
            Protected snapshots are kept, and with them the group. Space is freed by the next garbage collection.
          </p>
        </ConfirmDialog>
      );
      break;
    }
    case "delete-snapshot": {
      const s = dialog.snapshot;
      const name = snapshotName(s["backup-type"], s["backup-id"], s["backup-time"]);
      content = (
        <ConfirmDialog
          open
          onClose={onClose}
          title={`Delete snapshot ${name}`}
          description={`In ${where(dialog.ns)} of ${store}.`}
          confirmLabel="Delete"
          onConfirm={() =>
            deleteSnapshot.mutateAsync({
              store,
              ns: dialog.ns,
              snapshot: { type: s["backup-type"], id: s["backup-id"], time: s["backup-time"] },
            })
          }
          onDone={onChanged}
        >
          <p className="dialog__text">
            The backup of {formatUtcTime(s["backup-time"])} UTC{s.comment ? ` (“${s.comment}”)` : ""} is deleted. If it is the group&apos;s last
            snapshot, the group goes with it, notes included. Space is freed by the next garbage collection.
          </p>
        </ConfirmDialog>
      );
      break;
    }
  }

  return (
    <>
      {content}
      <TaskViewerDialog upid={taskUpid} onClose={() => setTaskUpid(null)} onEnded={onChanged} />
    </>
  );
}
