"use client";
/**
 * Prune one group (PBS's Prune window): the keep-* options and, as they are typed, the dry run
 * (what each snapshot would become: kept, removed or protected), then Prune, which starts the
 * `prune` task. Nothing is removed until Prune is pressed; the button says how many go.
 */
import { keepPreviousData, skipToken, useMutation, useQuery } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { KEEP_OPTIONS, keepCountSchema, MAX_KEEP_COUNT, type KeepOptionName } from "@/server/datastore/model/schemas";
import type { GroupRef } from "@/server/datastore/model/names";
import { ActionError } from "./ActionError";
import { Badge, type BadgeTone } from "./Badge";
import { Dialog, DialogClose, DialogFooter } from "./Dialog";
import { ErrorMessage } from "./ErrorMessage";
import { formatUtcTime, namespaceLabel } from "./format";
import { Spinner } from "./Spinner";
import { useDebounced } from "./useDebounced";
import { useTRPC } from "./TrpcProvider";
import "./content.css";
import "./jobs.css";

const LABELS: Record<KeepOptionName, { label: string; hint: string }> = {
  "keep-last": { label: "Keep last", hint: "the newest N snapshots" },
  "keep-hourly": { label: "Keep hourly", hint: "the newest of each of the last N hours" },
  "keep-daily": { label: "Keep daily", hint: "the newest of each of the last N days" },
  "keep-weekly": { label: "Keep weekly", hint: "the newest of each of the last N weeks" },
  "keep-monthly": { label: "Keep monthly", hint: "the newest of each of the last N months" },
  "keep-yearly": { label: "Keep yearly", hint: "the newest of each of the last N years" },
};

const MARKS: Record<string, { text: string; tone: BadgeTone }> = {
  keep: { text: "Keep", tone: "success" },
  remove: { text: "Remove", tone: "danger" },
  protected: { text: "Protected", tone: "info" },
  "keep-partial": { text: "Keep (unfinished)", tone: "warning" },
};

export function PruneDialog({
  store,
  ns,
  group,
  onClose,
  onStarted,
}: {
  store: string;
  ns: string;
  group: GroupRef;
  onClose(): void;
  onStarted(upid: string): void;
}) {
  const trpc = useTRPC();
  const id = useId();
  const name = `${group.type}/${group.id}`;
  const [values, setValues] = useState<Record<KeepOptionName, string>>(
    () => Object.fromEntries(KEEP_OPTIONS.map((k) => [k, ""])) as Record<KeepOptionName, string>,
  );

  const problems: Partial<Record<KeepOptionName, string>> = {};
  const keep: Partial<Record<KeepOptionName, number>> = {};
  for (const k of KEEP_OPTIONS) {
    const raw = values[k].trim();
    if (raw === "") continue;
    const r = /^\d+$/.test(raw) ? keepCountSchema.safeParse(Number(raw)) : undefined;
    if (r?.success) keep[k] = r.data;
    else problems[k] = `Enter a whole number from 1 to ${MAX_KEEP_COUNT}, or leave it empty.`;
  }
  const valid = Object.keys(problems).length === 0;
  const debouncedKeep = useDebounced(JSON.stringify(keep), 250);
  const plan = useQuery({
    ...trpc.prune.dryRun.queryOptions(valid ? { store, ns, group, keep: JSON.parse(debouncedKeep) } : skipToken),
    placeholderData: keepPreviousData,
  });
  const start = useMutation(trpc.prune.start.mutationOptions({ onSuccess: ({ upid }) => onStarted(upid) }));

  const rows = plan.data?.rows ?? [];
  const removed = rows.filter((r) => !r.keep).length;
  const kept = rows.length - removed;
  const protectedCount = rows.filter((r) => r.protected).length;
  const current = debouncedKeep === JSON.stringify(keep);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!valid || removed === 0 || !current) return;
    start.mutate({ store, ns, group, keep });
  };

  return (
    <Dialog
      open
      onOpenChange={(o) => !o && onClose()}
      title={`Prune group ${name}`}
      description={`In ${namespaceLabel(ns)} namespace of ${store}. Snapshots the options do not keep are removed; protected snapshots always stay.`}
      size="wide"
    >
      <form onSubmit={submit} noValidate className="prune-form">
        <fieldset className="keep-grid">
          <legend className="field__label">Retention</legend>
          {KEEP_OPTIONS.map((k) => (
            <div className="field" key={k}>
              <label className="field__label" htmlFor={`${id}-${k}`}>
                {LABELS[k].label}
              </label>
              <input
                id={`${id}-${k}`}
                className="input input--short"
                inputMode="numeric"
                value={values[k]}
                placeholder="—"
                aria-invalid={problems[k] ? true : undefined}
                aria-describedby={`${id}-${k}-hint`}
                onChange={(e) => setValues((v) => ({ ...v, [k]: e.target.value }))}
              />
              <p className={problems[k] ? "field__error" : "field__hint"} id={`${id}-${k}-hint`}>
                {problems[k] ?? LABELS[k].hint}
              </p>
            </div>
          ))}
        </fieldset>

        <section className="prune-preview" aria-labelledby={`${id}-preview`}>
          <h3 className="prune-preview__title" id={`${id}-preview`}>
            Preview {plan.isFetching ? <Spinner label="Updating the preview" /> : null}
          </h3>
          {plan.isError ? (
            <ErrorMessage title="Could not compute the preview" error={plan.error} />
          ) : !plan.data ? (
            <Spinner label="Loading the preview" />
          ) : (
            <>
              <p className="prune-preview__summary" role="status">
                {!plan.data.keepsSomething
                  ? "No keep option set: every snapshot is kept."
                  : `${kept} kept${protectedCount > 0 ? ` (${protectedCount} protected)` : ""}, ${removed} removed.`}
              </p>
              <div className="table-wrap prune-preview__table">
                <table className="data-table" aria-label={`Prune preview of ${name}`}>
                  <thead>
                    <tr>
                      <th scope="col">Snapshot (UTC)</th>
                      <th scope="col">Result</th>
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((r) => {
                      const m = MARKS[r.mark] ?? MARKS.keep!;
                      return (
                        <tr key={r["backup-time"]} className={r.keep ? undefined : "prune-row--remove"}>
                          <td className="nowrap mono">{formatUtcTime(r["backup-time"])}</td>
                          <td>
                            <Badge tone={m.tone}>{m.text}</Badge>
                          </td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
            </>
          )}
        </section>
        {start.error ? <ActionError title="Prune could not start" error={start.error} /> : null}
        <DialogFooter>
          <DialogClose className="button">Cancel</DialogClose>
          <button
            type="submit"
            className="button button--danger-solid"
            disabled={!valid || removed === 0 || !current || start.isPending}
          >
            {start.isPending ? <Spinner label="Starting" /> : null}
            {removed > 0 ? `Prune (remove ${removed})` : "Prune"}
          </button>
        </DialogFooter>
      </form>
    </Dialog>
  );
}
