"use client";
/**
 * A datastore's content as one keyboard-navigable treegrid: namespaces > groups > snapshots
 * (PBS's content tab, but recursive, so a deep hierarchy can be browsed without navigating).
 * Child namespaces come from one recursive listing; groups and snapshots load a page at a time
 * when their parent is expanded, and only the rows in view are rendered (useFlatContentRows),
 * so a namespace with 10,000 groups stays responsive.
 *
 * Keys follow the WAI-ARIA treegrid pattern in row-focus mode: Up/Down move, Right expands or
 * enters, Left collapses or goes to the parent, Home/End jump, PageUp/PageDown move by a
 * screenful, Enter/Space toggle, Shift+F10 or the context-menu key open the row's actions, Tab
 * reaches the focused row's actions button.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useSearchParams } from "next/navigation";
import { useVirtualizer } from "@tanstack/react-virtual";
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent } from "react";
import { formatBackupTime, MAX_NAMESPACE_DEPTH } from "@/server/datastore/model/names";
import type { NamespaceListItem } from "@/server/datastore/model/types";
import { ActionError } from "./ActionError";
import { ContentDialogs } from "./ContentDialogs";
import { describeLocation, locationKeys, locationOfKey, parseContentView } from "./content-links";
import { ContentFilterBar, type ContentFilter } from "./ContentFilterBar";
import { ErrorMessage } from "./ErrorMessage";
import { GroupRow } from "./GroupRow";
import { Icon } from "./Icon";
import { ExplainedButton } from "./ExplainedButton";
import { NamespaceRow } from "./NamespaceRow";
import { SnapshotRow } from "./SnapshotRow";
import { Spinner } from "./Spinner";
import { TREE_COLUMNS, TreeStatusRow } from "./TreeStatusRow";
import { useTRPC } from "./TrpcProvider";
import { datastorePath, usePermissions } from "./usePermissions";
import { type FlatRow, PAGE_SIZE, useFlatContentRows } from "./useFlatContentRows";
import { useRestoredExpansion } from "./useRestoredExpansion";
import { updateUrlQuery, useUrlBackedState } from "./url-state";
import { ContentTreeContext, isDescendantKey, type ContentDialog, type ContentTreeState } from "./useContentTree";
import "./content.css";

const ROW_HEIGHT = 37;
/** Below this many rows every row is rendered (nothing to gain, and find-in-page keeps working). */
const RENDER_ALL_BELOW = 300;

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

const contentQueryParams = (v: ContentFilter) => ({
  q: v.q || undefined,
  sort: v.sort === "name" ? undefined : v.sort,
  desc: v.desc ? "1" : undefined,
});

const isItem = (row: FlatRow | undefined): row is Exclude<FlatRow, { kind: "status" }> => !!row && row.kind !== "status";

export function ContentTree({ store }: { store: string }) {
  const trpc = useTRPC();
  const rootPermissions = usePermissions(datastorePath(store));
  const queryClient = useQueryClient();
  const namespaces = useQuery(trpc.namespace.list.queryOptions({ store, parent: "", maxDepth: MAX_NAMESPACE_DEPTH }));
  const config = useQuery(trpc.datastore.get.queryOptions({ store }));
  const [expanded, setExpandedKeys] = useState<ReadonlySet<string>>(() => new Set());
  const [activeKey, setActiveKey] = useState<string | null>(null);
  const [menuKey, setMenuKey] = useState<string | null>(null);
  const [dialog, setDialog] = useState<ContentDialog | null>(null);
  const [notice, setNotice] = useState<{ title: string; error: unknown } | null>(null);
  // The search text, the order and the focused row live in the URL (content-links.ts).
  const searchParams = useSearchParams();
  const view = useMemo(() => parseContentView(new URLSearchParams(searchParams.toString())), [searchParams]);
  const [shown, setShown] = useUrlBackedState({ q: view.q, sort: view.sort, desc: view.desc }, contentQueryParams);
  const { q: filter, sort, desc } = shown;
  const changeShown = useCallback((change: Partial<ContentFilter>) => setShown({ ...shown, ...change }), [shown, setShown]);
  const query = useMemo(() => ({ filter, sort, desc }), [filter, sort, desc]);
  useRestoredExpansion(store, expanded, setExpandedKeys);
  const namespaceChildren = useMemo(() => childrenByParent(namespaces.data), [namespaces.data]);
  const pathOnly = useMemo(() => {
    const list = namespaces.data ?? [];
    const out = new Set(list.filter((n) => n.pathOnly).map((n) => n.ns));
    // An empty answer: the user's roles name namespaces that do not exist (yet).
    if (namespaces.data && !list.some((n) => n.ns === "")) out.add("");
    return out;
  }, [namespaces.data]);
  const { rows, requestPage, isFetching, searchTotal } = useFlatContentRows(store, namespaceChildren, expanded, query, pathOnly);

  const mode = config.data?.["maintenance-mode"];
  const changesBlocked = mode
    ? `The datastore is in ${mode.type} maintenance${mode.message ? `: “${mode.message}”` : ""}. Changes are refused until the mode is cleared.`
    : undefined;

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

  const reload = useCallback(() => {
    // The store's config (maintenance) and everything in it: the CLI and tasks change them.
    void queryClient.invalidateQueries({ queryKey: trpc.datastore.get.queryKey({ store }) });
    void queryClient.invalidateQueries({ queryKey: trpc.namespace.pathKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.group.pathKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.snapshot.pathKey() });
  }, [queryClient, trpc, store]);

  const runAction = useCallback(
    (what: string, action: () => Promise<unknown>) => {
      setNotice(null);
      action().then(reload, (error: unknown) => {
        setNotice({ title: `Could not ${what}`, error });
        reload();
      });
    },
    [reload],
  );

  const state = useMemo<ContentTreeState>(
    () => ({
      store,
      namespaceChildren,
      isExpanded: (key) => expanded.has(key),
      setExpanded,
      activeKey,
      setActiveKey,
      menuKey,
      setMenuKey,
      openDialog: setDialog,
      runAction,
      changesBlocked,
    }),
    [store, namespaceChildren, expanded, setExpanded, activeKey, menuKey, runAction, changesBlocked],
  );

  // ---- windowing ----
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: rows.length < RENDER_ALL_BELOW ? RENDER_ALL_BELOW : 20,
    getItemKey: (i) => rows[i]?.key ?? i,
  });
  const items = virtualizer.getVirtualItems();
  const paddingTop = items.length > 0 ? items[0]!.start : 0;
  const paddingBottom = items.length > 0 ? virtualizer.getTotalSize() - items[items.length - 1]!.end : 0;

  // Placeholders in view: fetch their pages.
  useEffect(() => {
    for (const v of items) {
      const row = rows[v.index];
      if (row?.kind === "placeholder") requestPage(row.pageId);
    }
  }, [items, rows, requestPage]);

  // Keyboard moves to rows that may not be rendered yet: scroll there, then focus once rendered.
  // A move to a row whose page has not arrived targets its placeholder; when the page arrives,
  // the item that took the placeholder's place (same index) gets the focus.
  const focusWanted = useRef<{ key: string; index: number; placeholder: boolean } | null>(null);
  useLayoutEffect(() => {
    const wanted = focusWanted.current;
    if (!wanted) return;
    if (wanted.placeholder) {
      const now = rows[wanted.index];
      if (isItem(now) && now.kind !== "placeholder" && now.key !== wanted.key) {
        focusWanted.current = { key: now.key, index: wanted.index, placeholder: false };
        setActiveKey(now.key);
        return; // focused after the re-render, when the row is tabbable
      }
    }
    const el = scroller.current?.querySelector<HTMLElement>(`tr[data-key="${CSS.escape(wanted.key)}"]`);
    if (el) {
      focusWanted.current = null;
      el.focus();
    }
  });
  const moveFocusTo = (index: number) => {
    const i = Math.max(0, Math.min(rows.length - 1, index));
    const row = rows[i];
    if (!isItem(row)) return;
    focusWanted.current = { key: row.key, index: i, placeholder: row.kind === "placeholder" };
    setActiveKey(row.key);
    virtualizer.scrollToIndex(i, { align: "auto" });
  };

  // ---- the URL's location: open down to it and focus it; the focused row goes back into the URL ----
  const ownHref = useRef<string | null>(null);
  const wantedLocation = useRef<{ focus: string; expand: string[] } | null>(null);
  const [lostLocation, setLostLocation] = useState<string | null>(null);
  const locationSignature = view.location ? JSON.stringify(view.location) : "";
  useEffect(() => {
    if (!view.location || ownHref.current === window.location.search) return;
    const location = view.location;
    const { expand, focus } = locationKeys(location);
    setExpandedKeys((prev) => (expand.every((k) => prev.has(k)) ? prev : new Set([...prev, ...expand])));
    wantedLocation.current = focus ? { focus, expand } : null;
    setLostLocation(null);
    const group = location.group;
    if (!group) return;
    // A group or snapshot may be on any page of a long listing: ask where, and load that page.
    queryClient
      .fetchQuery(trpc.content.locate.queryOptions({ store, ns: location.ns, group, time: location.time, sort, desc }))
      .then(({ groupIndex, snapshotIndex }) => {
        if (groupIndex < 0 || (snapshotIndex ?? 0) < 0) throw new Error("not found");
        if (groupIndex >= PAGE_SIZE) requestPage(`g|${location.ns}|${Math.floor(groupIndex / PAGE_SIZE)}`);
        if (snapshotIndex !== undefined && snapshotIndex >= PAGE_SIZE) {
          requestPage(`s|${location.ns}|${group.type}/${group.id}|${Math.floor(snapshotIndex / PAGE_SIZE)}`);
        }
      })
      .catch(() => {
        if (wantedLocation.current?.focus !== focus) return;
        wantedLocation.current = null;
        setLostLocation(focus);
      });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [locationSignature]);
  useEffect(() => {
    const wanted = wantedLocation.current;
    if (!wanted || filter) return;
    const i = rows.findIndex((r) => r.key === wanted.focus);
    if (i >= 0) {
      wantedLocation.current = null;
      moveFocusTo(i);
      return;
    }
    // Not there once everything above it is open and loaded: it does not exist, or is hidden.
    const settled =
      wanted.expand.every((k) => expanded.has(k)) &&
      !isFetching &&
      !namespaces.isFetching &&
      !rows.some((r) => r.kind === "placeholder" || (r.kind === "status" && r.status === "loading"));
    if (settled) {
      wantedLocation.current = null;
      setLostLocation(wanted.focus);
    }
  });
  useEffect(() => {
    if (activeKey === null || filter) return;
    const at = locationOfKey(activeKey);
    const href = updateUrlQuery({
      ns: at.ns || undefined,
      group: at.group ? `${at.group.type}/${at.group.id}` : undefined,
      time: at.group && at.time !== undefined ? formatBackupTime(at.time) : undefined,
    });
    ownHref.current = new URL(href, window.location.origin).search;
  }, [activeKey, filter]);

  const onKeyDown = (e: KeyboardEvent<HTMLTableSectionElement>) => {
    if (e.target instanceof HTMLElement && e.target.tagName !== "TR") return; // the actions button has its own keys
    const el = (e.target as HTMLElement).closest<HTMLTableRowElement>("tr[data-key]");
    if (!el || e.altKey || e.ctrlKey || e.metaKey) return;
    const key = el.dataset.key!;
    const i = rows.findIndex((r) => r.key === key);
    const row = rows[i];
    if (!isItem(row)) return;
    const state = el.getAttribute("aria-expanded");
    const step = (from: number, dir: 1 | -1, count = 1) => {
      let j = from;
      let left = count;
      for (let k = from + dir; k >= 0 && k < rows.length; k += dir) {
        if (isItem(rows[k])) {
          j = k;
          if (--left === 0) break;
        }
      }
      return j;
    };
    const pageRows = Math.max(1, Math.floor((scroller.current?.clientHeight ?? 400) / ROW_HEIGHT) - 1);
    if ((e.key === "F10" && e.shiftKey) || e.key === "ContextMenu") {
      e.preventDefault();
      setMenuKey(key);
      return;
    }
    if (e.shiftKey) return;
    switch (e.key) {
      case "ArrowDown":
        moveFocusTo(step(i, 1));
        break;
      case "ArrowUp":
        moveFocusTo(step(i, -1));
        break;
      case "PageDown":
        moveFocusTo(step(i, 1, pageRows));
        break;
      case "PageUp":
        moveFocusTo(step(i, -1, pageRows));
        break;
      case "Home":
        moveFocusTo(step(-1, 1));
        break;
      case "End":
        moveFocusTo(step(rows.length, -1));
        break;
      case "ArrowRight":
        if (state === "false") setExpanded(key, true);
        else if (state === "true" && isItem(rows[i + 1]) && rows[i + 1]!.level > row.level) moveFocusTo(i + 1);
        break;
      case "ArrowLeft":
        if (state === "true") setExpanded(key, false);
        else {
          const parent = rows.slice(0, i).findLastIndex((r) => isItem(r) && r.level < row.level);
          if (parent >= 0) moveFocusTo(parent);
        }
        break;
      case "Enter":
      case " ":
        if (state !== null) setExpanded(key, state === "false");
        break;
      default:
        return;
    }
    e.preventDefault();
  };

  const collapseAll = () => {
    setExpandedKeys(new Set());
    setActiveKey(null);
  };

  const renderRow = (row: FlatRow) => {
    switch (row.kind) {
      case "namespace":
        return (
          <NamespaceRow
            key={row.key}
            item={row.item}
            rowKey={row.key}
            level={row.level}
            posInSet={row.posInSet}
            setSize={row.setSize}
            searchHit={row.searchHit}
          />
        );
      case "group":
        return (
          <GroupRow
            key={row.key}
            ns={row.ns}
            group={row.group}
            rowKey={row.key}
            level={row.level}
            posInSet={row.posInSet}
            setSize={row.setSize}
            searchHit={row.searchHit}
          />
        );
      case "snapshot":
        return (
          <SnapshotRow
            key={row.key}
            ns={row.ns}
            snapshot={row.snapshot}
            rowKey={row.key}
            level={row.level}
            posInSet={row.posInSet}
            setSize={row.setSize ?? 0}
          />
        );
      case "placeholder":
        return (
          <TreeStatusRow key={row.key} level={row.level} kind="loading">
            Loading…
          </TreeStatusRow>
        );
      case "status":
        return (
          <TreeStatusRow key={row.key} level={row.level} kind={row.status}>
            {row.text}
          </TreeStatusRow>
        );
    }
  };

  const cannotAddNamespace = rootPermissions.missing("add namespaces here", "Datastore.Modify");
  return (
    <section className="panel" aria-labelledby="content-title">
      <div className="panel__toolbar">
        <h2 className="panel__title" id="content-title">
          Content
        </h2>
        <ExplainedButton
          className="button"
          onClick={() => setDialog({ kind: "create-namespace", parent: "" })}
          reason={changesBlocked ?? cannotAddNamespace}
        >
          <Icon name="plus" />
          Add namespace
        </ExplainedButton>
        <button type="button" className="button" onClick={collapseAll} disabled={expanded.size === 0}>
          <Icon name="collapse" />
          Collapse all
        </button>
        <button type="button" className="button" onClick={reload} disabled={namespaces.isFetching}>
          <Icon name="refresh" />
          Reload
        </button>
      </div>
      <ContentFilterBar
        value={shown}
        onChange={changeShown}
        busy={isFetching}
        matches={filter ? searchTotal : undefined}
      />
      {view.problem && (
        <p className="content-notice alert alert--warning" role="status">
          {view.problem}
        </p>
      )}
      {lostLocation && (
        <div className="content-notice alert alert--warning" role="status">
          <span>
            The linked {describeLocation(locationOfKey(lostLocation))} is not in this datastore (any more), or you may not see it.
          </span>
          <button type="button" className="button" onClick={() => setLostLocation(null)}>
            Dismiss
          </button>
        </div>
      )}
      {notice && (
        <div className="content-notice">
          <ActionError title={notice.title} error={notice.error} />
          <button type="button" className="button" onClick={() => setNotice(null)}>
            Dismiss
          </button>
        </div>
      )}
      {namespaces.isPending ? (
        <div className="empty-state">
          <Spinner label="Loading content" />
        </div>
      ) : namespaces.isError ? (
        <ErrorMessage title={`Could not list the content of '${store}'`} error={namespaces.error} />
      ) : (
        <ContentTreeContext.Provider value={state}>
          <div className="table-wrap content-scroller" ref={scroller}>
            <table role="treegrid" aria-label={`Content of datastore ${store}`} aria-rowcount={-1} className="data-table tree">
              <thead>
                <tr role="row">
                  <th role="columnheader" scope="col" className="tree__col-name">
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
                    Verify
                  </th>
                  <th role="columnheader" scope="col">
                    Owner
                  </th>
                  <th role="columnheader" scope="col">
                    Comment
                  </th>
                  <th role="columnheader" scope="col" className="tree__col-actions">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody onKeyDown={onKeyDown}>
                {paddingTop > 0 && (
                  <tr role="presentation" aria-hidden="true" style={{ height: paddingTop }}>
                    <td colSpan={TREE_COLUMNS} />
                  </tr>
                )}
                {items.map((v) => renderRow(rows[v.index]!))}
                {paddingBottom > 0 && (
                  <tr role="presentation" aria-hidden="true" style={{ height: paddingBottom }}>
                    <td colSpan={TREE_COLUMNS} />
                  </tr>
                )}
              </tbody>
            </table>
          </div>
          <ContentDialogs
            store={store}
            dialog={dialog}
            onClose={() => setDialog(null)}
            onChanged={reload}
            allNamespaces={(namespaces.data ?? []).map((n) => n.ns)}
          />
        </ContentTreeContext.Provider>
      )}
      <div className="panel__footer">
        Times are UTC. Arrow keys move through the tree, Right and Left expand and collapse; Shift+F10 or Tab then Enter
        opens a row&apos;s actions.
      </div>
    </section>
  );
}
