"use client";
/**
 * The Tasks page's filters (PBS's task grid filters): task type, result, datastore, and a start
 * time range. Typing in the type filter waits half a second before it asks the server again
 * (PBS buffers its text filters the same way).
 */
import { useQuery } from "@tanstack/react-query";
import { useEffect, useId, useState } from "react";
import { isoDateProblem } from "./iso-date";
import { TASK_TYPES } from "./task-format";
import { useTRPC } from "./TrpcProvider";

export type TaskResult = "ok" | "warning" | "error" | "unknown";

export interface TaskFilterValues {
  /** Substring of the worker type. */
  type: string;
  /** Empty: every result, running tasks included. */
  results: TaskResult[];
  store: string;
  /** `YYYY-MM-DD`, local days; empty for open ends. */
  since: string;
  until: string;
  runningOnly: boolean;
}

export const NO_FILTERS: TaskFilterValues = { type: "", results: [], store: "", since: "", until: "", runningOnly: false };

const RESULTS: { value: TaskResult; label: string }[] = [
  { value: "ok", label: "OK" },
  { value: "warning", label: "Warnings" },
  { value: "error", label: "Errors" },
  { value: "unknown", label: "Unknown" },
];

/** How many filters are set, for "Clear filters (N)". */
export function countFilters(f: TaskFilterValues): number {
  return [f.type !== "", f.results.length > 0, f.store !== "", f.since !== "", f.until !== "", f.runningOnly].filter(Boolean).length;
}

/** The task.list input for these filters: `until` is inclusive (PBS adds a day). */
export function filterInput(f: TaskFilterValues) {
  const day = (s: string) => Math.floor(new Date(`${s}T00:00:00`).getTime() / 1000);
  return {
    ...(f.type ? { typefilter: f.type } : {}),
    ...(f.results.length ? { statusfilter: f.results } : {}),
    ...(f.store ? { store: f.store } : {}),
    ...(f.since ? { since: day(f.since) } : {}),
    ...(f.until ? { until: day(f.until) + 86_400 - 1 } : {}),
    ...(f.runningOnly ? { running: true } : {}),
  };
}

export function TaskFilters({ value, onChange }: { value: TaskFilterValues; onChange(next: TaskFilterValues): void }) {
  const trpc = useTRPC();
  const stores = useQuery(trpc.datastore.list.queryOptions());
  const id = useId();
  const [typeText, setTypeText] = useState(value.type);
  useEffect(() => setTypeText(value.type), [value.type]);
  useEffect(() => {
    if (typeText === value.type) return;
    const timer = setTimeout(() => onChange({ ...value, type: typeText.trim() }), 500);
    return () => clearTimeout(timer);
  }, [typeText, value, onChange]);

  const set = <K extends keyof TaskFilterValues>(key: K, v: TaskFilterValues[K]) => onChange({ ...value, [key]: v });
  const count = countFilters(value);

  return (
    <form className="task-filters" role="search" aria-label="Filter tasks" onSubmit={(e) => e.preventDefault()}>
      <div className="task-filters__field">
        <label htmlFor={`${id}-type`}>Task type</label>
        <input
          id={`${id}-type`}
          className="input"
          list={`${id}-types`}
          value={typeText}
          placeholder="any"
          onChange={(e) => setTypeText(e.target.value)}
        />
        <datalist id={`${id}-types`}>
          {TASK_TYPES.map((t) => (
            <option key={t} value={t} />
          ))}
        </datalist>
      </div>
      <fieldset className="task-filters__field task-filters__results">
        <legend>Result</legend>
        <div>
          {RESULTS.map((r) => (
            <label key={r.value} className="check">
              <input
                type="checkbox"
                checked={value.results.includes(r.value)}
                onChange={(e) =>
                  set("results", e.target.checked ? [...value.results, r.value] : value.results.filter((x) => x !== r.value))
                }
              />
              {r.label}
            </label>
          ))}
          <label className="check">
            <input type="checkbox" checked={value.runningOnly} onChange={(e) => set("runningOnly", e.target.checked)} />
            Running only
          </label>
        </div>
      </fieldset>
      <div className="task-filters__field">
        <label htmlFor={`${id}-store`}>Datastore</label>
        <select id={`${id}-store`} className="input" value={value.store} onChange={(e) => set("store", e.target.value)}>
          <option value="">All</option>
          {(stores.data ?? []).map((s) => (
            <option key={s.name} value={s.name}>
              {s.name}
            </option>
          ))}
        </select>
      </div>
      <IsoDateField id={`${id}-since`} label="Started since" value={value.since} onChange={(v) => set("since", v)} />
      <IsoDateField id={`${id}-until`} label="Started until" value={value.until} onChange={(v) => set("until", v)} />
      <button type="button" className="button task-filters__clear" disabled={count === 0} onClick={() => onChange(NO_FILTERS)}>
        Clear filters{count ? ` (${count})` : ""}
      </button>
    </form>
  );
}

/**
 * A day typed as YYYY-MM-DD (the console's date format; a browser date picker would show the
 * locale's). Only a valid date (or an empty field) reaches the filters; otherwise the field says
 * what it expects, beside it.
 */
function IsoDateField({ id, label, value, onChange }: { id: string; label: string; value: string; onChange(v: string): void }) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  const problem = isoDateProblem(text);
  return (
    <div className="task-filters__field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        className="input task-filters__date"
        inputMode="numeric"
        placeholder="YYYY-MM-DD"
        maxLength={10}
        value={text}
        aria-invalid={problem ? true : undefined}
        aria-describedby={problem ? `${id}-problem` : undefined}
        onChange={(e) => {
          setText(e.target.value);
          const next = e.target.value.trim();
          if (!isoDateProblem(next) && next !== value) onChange(next);
        }}
      />
      {problem ? (
        <span id={`${id}-problem`} className="field__error" role="alert">
          {problem}
        </span>
      ) : null}
    </div>
  );
}
