"use client";
/** Edits the notes of a group or a snapshot (the tree shows their first line). */
import { useMutation, useQuery } from "@tanstack/react-query";
import { useId, useState } from "react";
import type { GroupRef, SnapshotRef } from "@/server/datastore/model/names";
import { ActionError } from "./ActionError";
import { Dialog, SaveFooter } from "./Dialog";
import { snapshotName } from "./format";
import { Spinner } from "./Spinner";
import { useTRPC } from "./TrpcProvider";

export type NotesTarget = { kind: "group"; ns: string; group: GroupRef } | { kind: "snapshot"; ns: string; snapshot: SnapshotRef };

export function NotesDialog({ store, target, onClose, onSaved }: { store: string; target: NotesTarget; onClose(): void; onSaved(): void }) {
  const trpc = useTRPC();
  const id = useId();
  const groupNotes = useQuery({
    ...trpc.group.notes.queryOptions({ store, ns: target.ns, group: target.kind === "group" ? target.group : { type: "vm", id: "0" } }),
    enabled: target.kind === "group",
    staleTime: 0,
  });
  const snapshotNotes = useQuery({
    ...trpc.snapshot.notes.queryOptions({
      store,
      ns: target.ns,
      snapshot: target.kind === "snapshot" ? target.snapshot : { type: "vm", id: "0", time: 0 },
    }),
    enabled: target.kind === "snapshot",
    staleTime: 0,
  });
  const loaded = target.kind === "group" ? groupNotes : snapshotNotes;
  const [text, setText] = useState<string | null>(null);
  const value = text ?? loaded.data?.notes ?? "";
  const saveGroup = useMutation(trpc.group.setNotes.mutationOptions());
  const saveSnapshot = useMutation(trpc.snapshot.setNotes.mutationOptions());
  const save = target.kind === "group" ? saveGroup : saveSnapshot;

  const what =
    target.kind === "group"
      ? `group ${target.group.type}/${target.group.id}`
      : `snapshot ${snapshotName(target.snapshot.type, target.snapshot.id, target.snapshot.time)}`;
  const where = target.ns === "" ? "in the root namespace" : `in ${target.ns}`;

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    try {
      if (target.kind === "group") await saveGroup.mutateAsync({ store, ns: target.ns, group: target.group, notes: value });
      else await saveSnapshot.mutateAsync({ store, ns: target.ns, snapshot: target.snapshot, notes: value });
      onSaved();
      onClose();
    } catch {
      // shown below from the mutation's error
    }
  };

  return (
    <Dialog open onOpenChange={(o) => !o && onClose()} title={`Notes of ${what}`} description={`The first line shows in the content tree (${where}).`}>
      <form onSubmit={submit} className="dialog-form">
        <div className="field">
          <label className="field__label" htmlFor={`${id}-notes`}>
            Notes
          </label>
          {loaded.isPending && loaded.fetchStatus !== "idle" ? (
            <Spinner label="Loading notes" />
          ) : loaded.isError ? (
            <ActionError title="Could not load the notes" error={loaded.error} />
          ) : (
            <textarea id={`${id}-notes`} className="input textarea" rows={8} value={value} onChange={(e) => setText(e.target.value)} autoFocus />
          )}
        </div>
        {save.error ? <ActionError title="Could not save the notes" error={save.error} /> : null}
        <SaveFooter pending={save.isPending} disabled={loaded.isPending || loaded.isError} />
      </form>
    </Dialog>
  );
}
