"use client";
/**
 * Search and order of the content tree. The search runs on the server over the whole datastore
 * (namespace names; groups' `type/id`, owner and every line of the notes), debounced so that
 * typing does not send a request per key; its hits replace the tree until it is cleared. The
 * order applies to the groups within each namespace of the tree.
 */
import { useEffect, useId, useState } from "react";
import type { GroupSort } from "@/server/api/types";
import type { ContentView } from "./content-links";
import { Icon } from "./Icon";
import { Spinner } from "./Spinner";

const SORTS: { value: GroupSort; label: string }[] = [
  { value: "name", label: "Name" },
  { value: "last-backup", label: "Last backup" },
  { value: "backup-count", label: "Snapshot count" },
  { value: "owner", label: "Owner" },
];

/** What the bar sets: the search text, and the order of the groups. */
export type ContentFilter = Pick<ContentView, "q" | "sort" | "desc">;

export function ContentFilterBar(props: {
  value: ContentFilter;
  /** Called with the part that changed; stable across renders, or the search's debounce restarts. */
  onChange(change: Partial<ContentFilter>): void;
  busy: boolean;
  /** How many hits the search has (undefined while there is none or it is loading). */
  matches?: number;
}) {
  const id = useId();
  const { onChange } = props;
  const { q: filter, sort, desc } = props.value;
  const [text, setText] = useState(filter);
  // The search can change from outside (back/forward, a link): the box follows.
  const [shown, setShown] = useState(filter);
  if (filter !== shown) {
    setShown(filter);
    if (text.trim() !== filter) setText(filter);
  }
  useEffect(() => {
    if (text.trim() === filter) return;
    const t = setTimeout(() => onChange({ q: text.trim() }), 300);
    return () => clearTimeout(t);
  }, [text, filter, onChange]);
  const searching = filter !== "";

  return (
    <div className="content-filter" role="search" aria-label="Search the datastore">
      <label className="content-filter__search" htmlFor={`${id}-filter`}>
        <Icon name="search" />
        <span className="visually-hidden">Search namespaces and groups</span>
        <input
          id={`${id}-filter`}
          className="input"
          type="search"
          value={text}
          placeholder="Search namespaces, groups, owners, notes"
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter") onChange({ q: text.trim() });
          }}
        />
      </label>
      {searching && (
        <span className="content-filter__matches" role="status">
          {props.matches === undefined ? "Searching…" : props.matches === 1 ? "1 match" : `${props.matches} matches`} in the whole datastore
          <button type="button" className="link-button" onClick={() => setText("")}>
            Clear search
          </button>
        </span>
      )}
      <label
        className="content-filter__sort"
        htmlFor={`${id}-sort`}
        title={searching ? "Search results are listed in tree order; the order applies to the tree." : undefined}
      >
        Sort groups by
        <select
          id={`${id}-sort`}
          className="input"
          value={sort}
          disabled={searching}
          onChange={(e) => onChange({ sort: e.target.value as GroupSort })}
        >
          {SORTS.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
      </label>
      <label className="content-filter__order">
        <input type="checkbox" checked={desc} disabled={searching} onChange={(e) => onChange({ desc: e.target.checked })} />
        Descending
      </label>
      <span className="content-filter__busy" aria-live="polite">
        {props.busy ? <Spinner label="Updating" /> : null}
      </span>
    </div>
  );
}
