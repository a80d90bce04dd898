"use client";
/**
 * Verify (PBS's Verify / Verify All windows): the scope comes from where it was opened (the
 * store, a namespace, a group, a snapshot) and is stated at the top. "Skip verified" and
 * "Re-verify after" as PBS has them; a snapshot is verified again by default, as the PBS UI does.
 * Once the task has started, the caller opens it in the Task Viewer.
 */
import { useMutation } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import type { GroupRef, SnapshotRef } from "@/server/datastore/model/names";
import { ActionError } from "./ActionError";
import { Dialog, DialogClose, DialogFooter } from "./Dialog";
import { namespaceLabel, snapshotName } from "./format";
import { Spinner } from "./Spinner";
import { useTRPC } from "./TrpcProvider";
import "./content.css";
import "./jobs.css";

export interface VerifyScope {
  ns: string;
  group?: GroupRef;
  snapshot?: SnapshotRef;
}

function scopeText(store: string, s: VerifyScope): { title: string; what: string } {
  if (s.snapshot) {
    const name = snapshotName(s.snapshot.type, s.snapshot.id, s.snapshot.time);
    return { title: `Verify snapshot ${name}`, what: `Snapshot ${name} in ${namespaceLabel(s.ns)} namespace of ${store}.` };
  }
  if (s.group) {
    const name = `${s.group.type}/${s.group.id}`;
    return { title: `Verify group ${name}`, what: `Every snapshot of group ${name} in ${namespaceLabel(s.ns)} namespace of ${store}.` };
  }
  if (s.ns === "") return { title: `Verify datastore ${store}`, what: `Every snapshot in datastore ${store}, all namespaces.` };
  return { title: `Verify namespace ${s.ns}`, what: `Every snapshot in namespace ${s.ns} of ${store}, and its child namespaces.` };
}

export function VerifyDialog({
  store,
  scope,
  onClose,
  onStarted,
}: {
  store: string;
  scope: VerifyScope;
  onClose(): void;
  onStarted(upid: string): void;
}) {
  const trpc = useTRPC();
  const id = useId();
  const wide = !scope.group && !scope.snapshot;
  const [skipVerified, setSkipVerified] = useState(!scope.snapshot);
  const [outdated, setOutdated] = useState(scope.group ? "30" : "");
  const [maxDepth, setMaxDepth] = useState("7");
  const start = useMutation(trpc.verify.start.mutationOptions({ onSuccess: ({ upid }) => onStarted(upid) }));
  const { title, what } = scopeText(store, scope);

  const outdatedNum = outdated.trim() === "" ? undefined : Number(outdated);
  const outdatedProblem =
    outdatedNum !== undefined && (!Number.isInteger(outdatedNum) || outdatedNum < 0) ? "Enter a whole number of days, or leave it empty." : undefined;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (outdatedProblem) return;
    start.mutate({
      store,
      ns: scope.ns,
      ...(scope.group ? { group: scope.group } : {}),
      ...(scope.snapshot ? { snapshot: scope.snapshot } : {}),
      ignoreVerified: skipVerified,
      ...(skipVerified && outdatedNum !== undefined ? { outdatedAfter: outdatedNum } : {}),
      ...(wide ? { maxDepth: Number(maxDepth) } : {}),
    });
  };

  return (
    <Dialog open onOpenChange={(o) => !o && onClose()} title={title} description={what}>
      <form onSubmit={submit} noValidate className="job-form">
        <p className="dialog__text">
          Reads every chunk the snapshots reference and checks its checksum. Snapshots that fail are marked failed; damaged chunks
          are renamed to <code>.bad</code> so that the next backup can replace them.
        </p>
        <label className="check">
          <input type="checkbox" checked={skipVerified} onChange={(e) => setSkipVerified(e.target.checked)} />
          Skip verified snapshots
        </label>
        <div className="field">
          <label className="field__label" htmlFor={`${id}-outdated`}>
            Re-verify after (days)
          </label>
          <input
            id={`${id}-outdated`}
            className="input input--short"
            inputMode="numeric"
            value={outdated}
            disabled={!skipVerified}
            placeholder="never"
            aria-invalid={outdatedProblem ? true : undefined}
            aria-describedby={`${id}-outdated-hint`}
            onChange={(e) => setOutdated(e.target.value)}
          />
          <p className="field__hint" id={`${id}-outdated-hint`}>
            {outdatedProblem ??
              (skipVerified
                ? "Snapshots verified longer ago than this are verified again. Empty: never."
                : "Every snapshot is verified, whether verified before or not.")}
          </p>
        </div>
        {wide && (
          <div className="field">
            <label className="field__label" htmlFor={`${id}-depth`}>
              Max depth
            </label>
            <select id={`${id}-depth`} className="input input--short" value={maxDepth} onChange={(e) => setMaxDepth(e.target.value)}>
              {[0, 1, 2, 3, 4, 5, 6, 7].map((d) => (
                <option key={d} value={d}>
                  {d === 0 ? "0 (this namespace only)" : d === 7 ? "7 (all)" : d}
                </option>
              ))}
            </select>
            <p className="field__hint">
              An unfinished snapshot (a backup that never completed) in this scope makes the task end with an error, as in PBS; verify
              its groups one by one to avoid that.
            </p>
          </div>
        )}
        {start.error ? <ActionError title="Verify could not start" error={start.error} /> : null}
        <DialogFooter>
          <DialogClose className="button">Cancel</DialogClose>
          <button type="submit" className="button button--primary" disabled={start.isPending || !!outdatedProblem}>
            {start.isPending ? <Spinner label="Starting" /> : null}
            Verify
          </button>
        </DialogFooter>
      </form>
    </Dialog>
  );
}
