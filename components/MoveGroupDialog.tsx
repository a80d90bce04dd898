"use client";
/**
 * Move Group (PBS 4.2 GroupMove, DESIGN.md 10): `Target namespace`, `Merge group`, a live
 * `Preview` of the dry-run plan (debounced, updated as the options change), and `Move`, which is
 * disabled while the preview shows the move would fail outright or does not match the fields
 * yet. Move starts the task; the caller opens the Task Viewer with its UPID.
 */
import { keepPreviousData, useMutation, useQuery } from "@tanstack/react-query";
import { useEffect, useId, useState } from "react";
import type { GroupRef } from "@/server/datastore/model/names";
import { ActionError } from "./ActionError";
import { Dialog, DialogClose, DialogFooter } from "./Dialog";
import { MovePlanPreview, planFailsOutright } from "./MovePlanPreview";
import { namespacePathProblem, targetFromText } from "./namespace-input";
import { NamespaceTargetPicker } from "./NamespaceTargetPicker";
import { Spinner } from "./Spinner";
import { useDebounced } from "./useDebounced";
import { useTRPC } from "./TrpcProvider";

const PREVIEW_DELAY_MS = 350;

export function MoveGroupDialog({
  store,
  ns,
  group,
  namespaces,
  onClose,
  onStarted,
}: {
  store: string;
  ns: string;
  group: GroupRef;
  namespaces: readonly string[];
  onClose(): void;
  onStarted(upid: string): void;
}) {
  const trpc = useTRPC();
  const id = useId();
  const [text, setText] = useState("");
  const [merge, setMerge] = useState(true);
  const target = targetFromText(text);
  const problem =
    target === undefined
      ? undefined
      : (namespacePathProblem(target) ?? (target === ns ? "The group is already in this namespace; choose another." : undefined));
  const invalid = target === undefined || problem !== undefined;
  const input = { store, ns, group, targetNs: target ?? "", mergeGroup: merge };
  const debounced = useDebounced(input, PREVIEW_DELAY_MS);
  const settled = JSON.stringify(debounced) === JSON.stringify(input);
  const plan = useQuery({
    ...trpc.move.planGroup.queryOptions(debounced),
    enabled: !invalid && settled,
    retry: false,
    staleTime: 0,
    placeholderData: keepPreviousData,
  });
  const start = useMutation(trpc.move.startGroup.mutationOptions());
  // A refusal of the old fields no longer applies once they change.
  const { reset: resetStart } = start;
  useEffect(() => resetStart(), [text, merge, resetStart]);
  const current = settled && !plan.isPlaceholderData && !plan.isFetching;
  const canMove = !invalid && current && plan.isSuccess && !planFailsOutright(plan.data) && !start.isPending;
  const name = `${group.type}/${group.id}`;

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!canMove) return;
    try {
      const { upid } = await start.mutateAsync(input);
      onStarted(upid);
    } catch {
      // shown below
    }
  };

  return (
    <Dialog
      open
      onOpenChange={(o) => !o && onClose()}
      size="wide"
      title={`Move Group ${name}`}
      description={`From ${ns === "" ? "the root namespace" : `namespace ${ns}`} to another namespace of ${store}. Snapshots, owner and notes move with it.`}
    >
      <form onSubmit={submit} className="dialog-form move-form" noValidate>
        <div className="move-form__fields">
          <NamespaceTargetPicker
            value={text}
            onChange={setText}
            options={namespaces.filter((n) => n !== ns)}
            problem={problem}
            hint="An existing namespace, such as archive; / for the root namespace."
            autoFocus
          />
          <div className="field field--check">
            <label className="check" htmlFor={`${id}-merge`}>
              <input id={`${id}-merge`} type="checkbox" checked={merge} onChange={(e) => setMerge(e.target.checked)} aria-describedby={`${id}-merge-hint`} />
              Merge group
            </label>
            <p className="field__hint" id={`${id}-merge-hint`}>
              If the target already has {name}, add these snapshots to it (same owner, and all of them newer than the target&apos;s).
            </p>
          </div>
        </div>
        <MovePlanPreview
          plan={invalid ? undefined : plan.data}
          error={invalid ? undefined : plan.error}
          loading={plan.isPending && plan.fetchStatus !== "idle"}
          updating={!invalid && (!settled || plan.isFetching)}
          waitingFor={
            target === undefined
              ? "Choose the target namespace to see what would happen."
              : problem
                ? "Fix the target namespace to see what would happen."
                : undefined
          }
        />
        {start.error ? <ActionError title="The move could not start" error={start.error} /> : null}
        <DialogFooter>
          <DialogClose className="button">Cancel</DialogClose>
          <button type="submit" className="button button--primary" disabled={!canMove}>
            {start.isPending ? <Spinner label="Starting" /> : null}
            Move
          </button>
        </DialogFooter>
      </form>
    </Dialog>
  );
}
