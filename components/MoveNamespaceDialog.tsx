"use client";
/**
 * Move Namespace (PBS 4.2 NamespaceMove, DESIGN.md 10): `Target namespace` (the full new path;
 * created if missing, its parent must exist), `Max depth`, `Delete source`, `Merge groups`, a
 * live `Preview` of the dry-run plan, and `Move`, disabled while the preview says the move would
 * fail outright or does not match the fields yet.
 */
import { keepPreviousData, useMutation, useQuery } from "@tanstack/react-query";
import { useEffect, useId, useState } from "react";
import { BackupNamespace, MAX_NAMESPACE_DEPTH } from "@/server/datastore/model/names";
import { ActionError } from "./ActionError";
import { Dialog, DialogClose, DialogFooter } from "./Dialog";
import { MovePlanPreview, planFailsOutright } from "./MovePlanPreview";
import { namespacePathProblem, targetFromText } from "./namespace-input";
import { NamespaceTargetPicker } from "./NamespaceTargetPicker";
import { Spinner } from "./Spinner";
import { useDebounced } from "./useDebounced";
import { useTRPC } from "./TrpcProvider";

const PREVIEW_DELAY_MS = 350;

/** The rules for the target, checked at the field (the server checks them again). */
export function namespaceTargetProblem(source: string, target: string): string | undefined {
  if (target === "") return `A namespace cannot be moved into the root namespace; enter the full new path, such as archive/${BackupNamespace.parse(source).name}.`;
  const syntax = namespacePathProblem(target);
  if (syntax) return syntax;
  const t = BackupNamespace.parse(target);
  if (target === source) return "Enter a new path: the target is the namespace itself.";
  if (BackupNamespace.parse(source).contains(t) !== undefined) return `A namespace cannot move into its own subtree (${source}).`;
  return undefined;
}

function maxDepthProblem(text: string): string | undefined {
  if (text.trim() === "") return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > MAX_NAMESPACE_DEPTH) return `A whole number from 0 to ${MAX_NAMESPACE_DEPTH}, or empty for all levels.`;
  return undefined;
}

export function MoveNamespaceDialog({
  store,
  ns,
  namespaces,
  onClose,
  onStarted,
}: {
  store: string;
  ns: string;
  namespaces: readonly string[];
  onClose(): void;
  onStarted(upid: string): void;
}) {
  const trpc = useTRPC();
  const id = useId();
  const [text, setText] = useState("");
  const target = targetFromText(text);
  const [maxDepthText, setMaxDepthText] = useState("");
  const [deleteSource, setDeleteSource] = useState(true);
  const [merge, setMerge] = useState(true);
  const problem = target === undefined ? undefined : namespaceTargetProblem(ns, target);
  const depthProblem = maxDepthProblem(maxDepthText);
  const maxDepth = maxDepthText.trim() === "" || depthProblem ? undefined : Number(maxDepthText);
  const input = { store, ns, targetNs: target ?? "", maxDepth, deleteSource, mergeGroups: merge };
  const debounced = useDebounced(input, PREVIEW_DELAY_MS);
  const settled = JSON.stringify(debounced) === JSON.stringify(input);
  const invalid = target === undefined || problem !== undefined || depthProblem !== undefined;
  const plan = useQuery({
    ...trpc.move.planNamespace.queryOptions(debounced),
    // No request until the fields name a valid move and typing has paused.
    enabled: !invalid && settled,
    retry: false,
    staleTime: 0,
    placeholderData: keepPreviousData,
  });
  const start = useMutation(trpc.move.startNamespace.mutationOptions());
  // A refusal of the old fields no longer applies once they change.
  const { reset: resetStart } = start;
  useEffect(() => resetStart(), [text, maxDepthText, deleteSource, merge, resetStart]);
  const current = settled && !plan.isPlaceholderData && !plan.isFetching;
  const canMove = !invalid && current && plan.isSuccess && !planFailsOutright(plan.data) && !start.isPending;
  const suggestions = namespaces.filter((n) => n !== "" && n !== ns && BackupNamespace.parse(ns).contains(BackupNamespace.parse(n)) === undefined);

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
      title={`Move Namespace ${ns}`}
      description={`Moves ${ns} with its child namespaces and groups to a new path in ${store}, merging into what exists there.`}
    >
      <form onSubmit={submit} className="dialog-form move-form" noValidate>
        <div className="move-form__fields">
          <NamespaceTargetPicker
            value={text}
            onChange={setText}
            options={suggestions}
            problem={problem}
            hint="The full new path, such as archive/prod. Created if missing; its parent must exist."
            autoFocus
          />
          <div className="field">
            <label className="field__label" htmlFor={`${id}-depth`}>
              Max depth
            </label>
            <input
              id={`${id}-depth`}
              className="input input--narrow"
              inputMode="numeric"
              value={maxDepthText}
              placeholder="All levels"
              aria-invalid={depthProblem ? true : undefined}
              aria-describedby={`${id}-depth-hint`}
              onChange={(e) => setMaxDepthText(e.target.value)}
            />
            <p className="field__hint" id={`${id}-depth-hint`}>
              {depthProblem ? <span className="field__error">{depthProblem}</span> : "Levels below the namespace that move along; 0 moves only its own groups."}
            </p>
          </div>
          <div className="field field--check">
            <label className="check" htmlFor={`${id}-delete`}>
              <input id={`${id}-delete`} type="checkbox" checked={deleteSource} onChange={(e) => setDeleteSource(e.target.checked)} aria-describedby={`${id}-delete-hint`} />
              Delete source
            </label>
            <p className="field__hint" id={`${id}-delete-hint`}>
              Remove the source namespaces the move leaves empty.
            </p>
          </div>
          <div className="field field--check">
            <label className="check" htmlFor={`${id}-merge`}>
              <input id={`${id}-merge`} type="checkbox" checked={merge} onChange={(e) => setMerge(e.target.checked)} aria-describedby={`${id}-merge-hint`} />
              Merge groups
            </label>
            <p className="field__hint" id={`${id}-merge-hint`}>
              Add snapshots to groups that already exist at the target (same owner, only newer snapshots).
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
              ? "Enter the target namespace to see what would happen."
              : invalid
                ? "Fix the fields above to see what would happen."
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
