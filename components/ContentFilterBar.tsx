"use client";
/**
 * Filter and order of the groups in the content tree. The filter runs on the server (over
 * `type/id`, owner and every line of the notes), debounced so that typing does not send a
 * request per key; the order applies within each namespace.
 */
import { useEffect, useId, useState } from "react";
import type { GroupSort } from "@/server/api/types";
import { Icon } from "./Icon";
import { Spinner } from "./Spinner";

const SORTS: { value: GroupSort; label: string }[] = [
  { value: "name", label: "Name" },
  { value: "last-backup", label: "Last backup" },
  { value: "backup-count", label: "Snapshot count" },
  { value: "owner", label: "Owner" },
];

export function ContentFilterBar(props: {
  filter: string;
  onFilterChange(filter: string): void;
  sort: GroupSort;
  onSortChange(sort: GroupSort): void;
  desc: boolean;
  onDescChange(desc: boolean): void;
  busy: boolean;
}) {
  const id = useId();
  const [text, setText] = useState(props.filter);
  const { onFilterChange } = props;
  useEffect(() => {
    const t = setTimeout(() => onFilterChange(text.trim()), 300);
    return () => clearTimeout(t);
  }, [text, onFilterChange]);

  return (
    <div className="content-filter" role="search" aria-label="Filter groups">
      <label className="content-filter__search" htmlFor={`${id}-filter`}>
        <Icon name="search" />
        <span className="visually-hidden">Filter groups</span>
        <input
          id={`${id}-filter`}
          className="input"
          type="search"
          value={text}
          placeholder="Filter groups by id, owner or notes"
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter") onFilterChange(text.trim());
          }}
        />
      </label>
      <label className="content-filter__sort" htmlFor={`${id}-sort`}>
        Sort groups by
        <select id={`${id}-sort`} className="input" value={props.sort} onChange={(e) => props.onSortChange(e.target.value as GroupSort)}>
          {SORTS.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
      </label>
      <label className="content-filter__order">
        <input type="checkbox" checked={props.desc} onChange={(e) => props.onDescChange(e.target.checked)} />
        Descending
      </label>
      <span className="content-filter__busy" aria-live="polite">
        {props.busy ? <Spinner label="Updating" /> : null}
      </span>
    </div>
  );
}
