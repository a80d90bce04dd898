"use client";
/**
 * A datastore's content as one keyboard-navigable treegrid: namespaces > groups > snapshots
 * (PBS's content tab, but recursive, so a deep hierarchy can be browsed without navigating).
 * Child namespaces come from one recursive listing; groups and snapshots load when their parent
 * is expanded, so opening a large store stays cheap.
 *
 * Keys follow the WAI-ARIA treegrid pattern in row-focus mode: Up/Down move, Right expands or
 * enters, Left collapses or goes to the parent, Home/End jump, Enter/Space toggle.
 */
import { useCallback, useMemo, useState, type KeyboardEvent } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { MAX_NAMESPACE_DEPTH } from "@/server/datastore/names";
import type { NamespaceListItem } from "@/server/datastore/types";
import { useTRPC } from "./TrpcProvider";
import { ErrorMessage } from "./ErrorMessage";
import { Icon } from "./Icon";
import { NamespaceContent } from "./NamespaceContent";
import { Spinner } from "./Spinner";
import { ContentTreeContext, isDescendantKey, type ContentTreeState } from "./useContentTree";

function childrenByParent(list: readonly NamespaceListItem[] | undefined) {
  const map = new Map<string, NamespaceListItem[]>();
  for (const item of list ?? []) {
    if (item.ns === "") continue; // the listing includes its anchor, the root
    const parent = item.ns.includes("/") ? item.ns.slice(0, item.ns.lastIndexOf("/")) : "";
    const siblings = map.get(parent) ?? [];
    siblings.push(item);
    map.set(parent, siblings);
  }
  for (const siblings of map.values()) siblings.sort((a, b) => (a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : 0));
  return map;
}

const levelOf = (row: Element) => Number(row.getAttribute("aria-level"));

export function ContentTree({ store }: { store: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const namespaces = useQuery(
    trpc.namespace.list.queryOptions({ store, parent: "", maxDepth: MAX_NAMESPACE_DEPTH }),
  );
  const [expanded, setExpandedKeys] = useState<ReadonlySet<string>>(() => new Set());
  const [activeKey, setActiveKey] = useState<string | null>(null);
  const namespaceChildren = useMemo(() => childrenByParent(namespaces.data), [namespaces.data]);

  const setExpanded = useCallback((key: string, open: boolean) => {
    setExpandedKeys((prev) => {
      if (prev.has(key) === open) return prev;
      const next = new Set(prev);
      if (open) next.add(key);
      else next.delete(key);
      return next;
    });
    // A focused row that disappears with its collapsed ancestor hands the focus to it.
    if (!open) setActiveKey((active) => (active && isDescendantKey(active, key) ? key : active));
  }, []);

  const state = useMemo<ContentTreeState>(
    () => ({
      store,
      namespaceChildren,
      isExpanded: (key) => expanded.has(key),
      setExpanded,
      activeKey,
      setActiveKey,
    }),
    [store, namespaceChildren, expanded, setExpanded, activeKey],
  );

  const reload = () => {
    // The store's config (maintenance) and everything in it: the CLI and tasks change them.
    void queryClient.invalidateQueries({ queryKey: trpc.datastore.get.queryKey({ store }) });
    void queryClient.invalidateQueries({ queryKey: trpc.namespace.pathKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.group.pathKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.snapshot.pathKey() });
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTableSectionElement>) => {
    const row = (e.target as HTMLElement).closest<HTMLTableRowElement>("tr[data-key]");
    if (!row || e.altKey || e.ctrlKey || e.metaKey) return;
    const rows = Array.from(e.currentTarget.querySelectorAll<HTMLTableRowElement>("tr[data-key]"));
    const i = rows.indexOf(row);
    const key = row.dataset.key!;
    const state = row.getAttribute("aria-expanded");
    let target: HTMLTableRowElement | undefined;
    switch (e.key) {
      case "ArrowDown":
        target = rows[i + 1];
        break;
      case "ArrowUp":
        target = rows[i - 1];
        break;
      case "Home":
        target = rows[0];
        break;
      case "End":
        target = rows[rows.length - 1];
        break;
      case "ArrowRight":
        if (state === "false") setExpanded(key, true);
        else if (state === "true" && rows[i + 1] && levelOf(rows[i + 1]!) > levelOf(row)) target = rows[i + 1];
        break;
      case "ArrowLeft":
        if (state === "true") setExpanded(key, false);
        else target = rows.slice(0, i).findLast((r) => levelOf(r) < levelOf(row));
        break;
      case "Enter":
      case " ":
        if (state !== null) setExpanded(key, state === "false");
        break;
      default:
        return;
    }
    e.preventDefault();
    target?.focus();
  };

  return (
    <section className="panel" aria-labelledby="content-title">
      <div className="panel__toolbar">
        <h2 className="panel__title" id="content-title">
          Content
        </h2>
        <button
          type="button"
          className="button"
          onClick={() => {
            setExpandedKeys(new Set());
            setActiveKey(null);
          }}
          disabled={expanded.size === 0}
        >
          <Icon name="collapse" />
          Collapse all
        </button>
        <button type="button" className="button" onClick={reload} disabled={namespaces.isFetching}>
          <Icon name="refresh" />
          Reload
        </button>
      </div>
      {namespaces.isPending ? (
        <div className="empty-state">
          <Spinner label="Loading content" />
        </div>
      ) : namespaces.isError ? (
        <ErrorMessage title={`Could not list the content of '${store}'`} error={namespaces.error} />
      ) : (
        <ContentTreeContext.Provider value={state}>
          <div className="table-wrap">
            <table role="treegrid" aria-label={`Content of datastore ${store}`} className="data-table tree">
              <thead>
                <tr role="row">
                  <th role="columnheader" scope="col" style={{ width: "34%" }}>
                    Name
                  </th>
                  <th role="columnheader" scope="col">
                    Last backup (UTC)
                  </th>
                  <th role="columnheader" scope="col" className="num">
                    Snapshots
                  </th>
                  <th role="columnheader" scope="col" className="num">
                    Size
                  </th>
                  <th role="columnheader" scope="col">
                    Owner
                  </th>
                  <th role="columnheader" scope="col">
                    Comment
                  </th>
                </tr>
              </thead>
              <tbody onKeyDown={onKeyDown}>
                <NamespaceContent ns="" level={1} parentKey="" />
              </tbody>
            </table>
          </div>
        </ContentTreeContext.Provider>
      )}
      <div className="panel__footer">
        Times are UTC. Use the arrow keys to move through the tree; Right and Left expand and collapse.
      </div>
    </section>
  );
}
