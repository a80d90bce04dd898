"use client";
/**
 * The content tree as one flat list of rows, for a windowed (virtualised) treegrid. Groups and
 * snapshots come from the server a page at a time: the first page of every expanded container
 * (a namespace's groups, a group's snapshots) gives its total, so the list knows its full length
 * at once; rows of pages not loaded yet are placeholders, and `requestPage` loads a page when
 * its placeholders scroll into view. A namespace with 10,000 groups therefore costs one page
 * request per screenful, and a group with 5,000 snapshots the same.
 */
import { useQueries } from "@tanstack/react-query";
import { useCallback, useMemo, useState } from "react";
import type { GroupSort } from "@/server/api/types";
import type { GroupRef } from "@/server/datastore/model/names";
import type { SearchHit } from "@/server/api/types";
import type { GroupListItem, NamespaceListItem, SnapshotListItem } from "@/server/datastore/model/types";
import { useTRPC } from "./TrpcProvider";
import { ancestorKeys, childKey, namespaceOfKey } from "./useContentTree";

export const PAGE_SIZE = 100;

interface RowBase {
  key: string;
  level: number;
  posInSet: number;
  setSize?: number;
}
export type FlatRow =
  /** `searchHit`: a search result, shown with its full path and a way into the tree. */
  | (RowBase & { kind: "namespace"; item: NamespaceListItem; searchHit?: boolean })
  /** `searchHit`: a search result, shown with the namespace it lives in. */
  | (RowBase & { kind: "group"; ns: string; group: GroupListItem; searchHit?: boolean })
  | (RowBase & { kind: "snapshot"; ns: string; snapshot: SnapshotListItem })
  /** A row whose page has not arrived yet. */
  | (RowBase & { kind: "placeholder"; pageId: string })
  | { kind: "status"; key: string; level: number; status: "loading" | "empty" | "error"; text: string };

interface GroupsPage {
  kind: "groups";
  id: string;
  ns: string;
  page: number;
}
interface SnapshotsPage {
  kind: "snapshots";
  id: string;
  ns: string;
  group: GroupRef;
  page: number;
}
/** A page of whole-datastore search results (content.search). */
interface SearchPage {
  kind: "search";
  id: string;
  page: number;
}
type PageRequest = GroupsPage | SnapshotsPage | SearchPage;

export interface ContentQuery {
  filter: string;
  sort: GroupSort;
  desc: boolean;
}

const groupsPage = (ns: string, page: number): GroupsPage => ({ kind: "groups", id: `g|${ns}|${page}`, ns, page });
const searchPage = (page: number): SearchPage => ({ kind: "search", id: `q|${page}`, page });
/** Row keys of search results start with `r:<namespace>`, so that their groups' snapshots can be opened. */
export const SEARCH_KEY_PREFIX = "r:";
const snapshotsPage = (ns: string, group: GroupRef, page: number): SnapshotsPage => ({
  kind: "snapshots",
  id: `s|${ns}|${group.type}/${group.id}|${page}`,
  ns,
  group,
  page,
});

/** `g:vm/100` at the end of a row key, as a group. */
function groupOfKey(key: string): GroupRef | undefined {
  const last = key.slice(key.lastIndexOf("|") + 1);
  const m = /^g:(vm|ct|host)\/(.+)$/.exec(last);
  return m ? { type: m[1] as GroupRef["type"], id: m[2]! } : undefined;
}

export function useFlatContentRows(
  store: string,
  namespaceChildren: ReadonlyMap<string, readonly NamespaceListItem[]>,
  expanded: ReadonlySet<string>,
  query: ContentQuery,
  /** Namespaces the user may only walk through (no role there): their groups are not asked for. */
  pathOnly: ReadonlySet<string> = new Set(),
) {
  const trpc = useTRPC();
  // Pages beyond the first that scrolled into view, by id; reset when the filter or order changes.
  const [extra, setExtra] = useState<{ query: ContentQuery; pages: ReadonlyMap<string, PageRequest> }>({
    query,
    pages: new Map(),
  });
  const extraPages = extra.query === query ? extra.pages : new Map<string, PageRequest>();

  // What is visible: a container is visible when it and all its ancestors are expanded.
  const visibleContainers = useMemo(() => {
    const searching = query.filter !== "";
    if (searching) {
      // Search results, and the snapshots of result groups that are open.
      const out: PageRequest[] = [searchPage(0)];
      for (const key of expanded) {
        if (!key.startsWith(SEARCH_KEY_PREFIX)) continue;
        const group = groupOfKey(key);
        if (group) out.push(snapshotsPage(namespaceOfKey(key), group, 0));
      }
      return out;
    }
    const out: PageRequest[] = pathOnly.has("") ? [] : [groupsPage("", 0)];
    for (const key of expanded) {
      if (key.startsWith(SEARCH_KEY_PREFIX)) continue;
      if (!ancestorKeys(key).every((a) => expanded.has(a))) continue;
      const group = groupOfKey(key);
      if (group) out.push(snapshotsPage(namespaceOfKey(key), group, 0));
      else if (key.slice(key.lastIndexOf("|") + 1).startsWith("ns:") && !pathOnly.has(namespaceOfKey(key))) {
        out.push(groupsPage(namespaceOfKey(key), 0));
      }
    }
    return out;
  }, [expanded, pathOnly, query.filter]);

  const requests = useMemo(() => {
    const containers = new Set(visibleContainers.map((p) => p.id.slice(0, p.id.lastIndexOf("|"))));
    const wanted = [...visibleContainers];
    for (const p of extraPages.values()) if (containers.has(p.id.slice(0, p.id.lastIndexOf("|")))) wanted.push(p);
    return wanted;
  }, [visibleContainers, extraPages]);

  const results = useQueries({
    queries: requests.map((r) =>
      r.kind === "search"
        ? trpc.content.search.queryOptions({ store, text: query.filter, offset: r.page * PAGE_SIZE, limit: PAGE_SIZE })
        : r.kind === "groups"
        ? trpc.group.list.queryOptions({
            store,
            ns: r.ns,
            sort: query.sort,
            desc: query.desc,
            offset: r.page * PAGE_SIZE,
            limit: PAGE_SIZE,
          })
        : trpc.snapshot.list.queryOptions({ store, ns: r.ns, group: r.group, offset: r.page * PAGE_SIZE, limit: PAGE_SIZE }),
    ),
  });

  const byId = new Map<string, (typeof results)[number]>();
  requests.forEach((r, i) => byId.set(r.id, results[i]!));
  // A stable signature of what arrived, so the rows are rebuilt only when data changes.
  const signature = results.map((r) => `${r.status}:${r.dataUpdatedAt}`).join(",");

  const rows = useMemo(() => {
    const out: FlatRow[] = [];
    const page = (id: string) => byId.get(id);

    const addSnapshots = (ns: string, group: GroupRef, level: number, parentKey: string) => {
      const first = page(snapshotsPage(ns, group, 0).id);
      if (!first || first.isPending) {
        out.push({ kind: "status", key: `${parentKey}|loading`, level, status: "loading", text: "Loading snapshots…" });
        return;
      }
      if (first.isError) {
        out.push({ kind: "status", key: `${parentKey}|error`, level, status: "error", text: `Could not list snapshots: ${first.error.message}` });
        return;
      }
      const total = (first.data as { total: number }).total;
      if (total === 0) out.push({ kind: "status", key: `${parentKey}|empty`, level, status: "empty", text: "No snapshots" });
      for (let i = 0; i < total; i++) {
        const p = Math.floor(i / PAGE_SIZE);
        const req = snapshotsPage(ns, group, p);
        const data = page(req.id)?.data as { items: SnapshotListItem[] } | undefined;
        const item = data?.items[i % PAGE_SIZE];
        const base = { level, posInSet: i + 1, setSize: total };
        if (item) out.push({ ...base, kind: "snapshot", key: childKey(parentKey, `s:${item["backup-time"]}`), ns, snapshot: item });
        else out.push({ ...base, kind: "placeholder", key: `${parentKey}|p${i}`, pageId: req.id });
      }
    };

    const addNamespace = (ns: string, level: number, parentKey: string) => {
      const children = namespaceChildren.get(ns) ?? [];
      const first = page(groupsPage(ns, 0).id);
      const total = first?.data ? (first.data as { total: number }).total : undefined;
      const setSize = total === undefined ? undefined : children.length + total;
      children.forEach((child, i) => {
        const key = childKey(parentKey, `ns:${child.ns}`);
        out.push({ kind: "namespace", key, level, posInSet: i + 1, setSize, item: child });
        if (expanded.has(key)) addNamespace(child.ns, level + 1, key);
      });
      if (pathOnly.has(ns)) {
        if (ns === "" && children.length === 0) {
          out.push({ kind: "status", key: "|empty", level, status: "empty", text: "None of the namespaces you have access to exists in this datastore." });
        }
        return;
      }
      if (!first || first.isPending) {
        out.push({ kind: "status", key: `${parentKey}|loading`, level, status: "loading", text: "Loading groups…" });
        return;
      }
      if (first.isError) {
        out.push({ kind: "status", key: `${parentKey}|error`, level, status: "error", text: `Could not list groups: ${first.error.message}` });
        return;
      }
      for (let i = 0; i < total!; i++) {
        const p = Math.floor(i / PAGE_SIZE);
        const req = groupsPage(ns, p);
        const data = page(req.id)?.data as { items: GroupListItem[] } | undefined;
        const item = data?.items[i % PAGE_SIZE];
        const base = { level, posInSet: children.length + i + 1, setSize };
        if (!item) {
          out.push({ ...base, kind: "placeholder", key: `${parentKey}|p${i}`, pageId: req.id });
          continue;
        }
        const key = childKey(parentKey, `g:${item["backup-type"]}/${item["backup-id"]}`);
        out.push({ ...base, kind: "group", key, ns, group: item });
        if (expanded.has(key) && item["backup-count"] > 0) {
          addSnapshots(ns, { type: item["backup-type"], id: item["backup-id"] }, level + 1, key);
        }
      }
      if (total === 0 && children.length === 0) {
        const text = ns === "" ? "This datastore holds no backups yet." : "This namespace is empty.";
        out.push({ kind: "status", key: `${parentKey}|empty`, level, status: "empty", text });
      }
    };

    const addSearchResults = () => {
      const first = page(searchPage(0).id);
      if (!first || first.isPending) {
        out.push({ kind: "status", key: "|loading", level: 1, status: "loading", text: "Searching the whole datastore…" });
        return;
      }
      if (first.isError) {
        out.push({ kind: "status", key: "|error", level: 1, status: "error", text: `Could not search: ${first.error.message}` });
        return;
      }
      const total = (first.data as { total: number }).total;
      if (total === 0) {
        out.push({ kind: "status", key: "|empty", level: 1, status: "empty", text: `No namespace or group matches '${query.filter}'.` });
      }
      for (let i = 0; i < total; i++) {
        const req = searchPage(Math.floor(i / PAGE_SIZE));
        const data = page(req.id)?.data as { items: SearchHit[] } | undefined;
        const hit = data?.items[i % PAGE_SIZE];
        const base = { level: 1, posInSet: i + 1, setSize: total };
        if (!hit) {
          out.push({ ...base, kind: "placeholder", key: `|p${i}`, pageId: req.id });
        } else if (hit.kind === "namespace") {
          out.push({ ...base, kind: "namespace", key: `${SEARCH_KEY_PREFIX}${hit.ns}|ns:${hit.ns}`, item: { ns: hit.ns }, searchHit: true });
        } else {
          const key = `${SEARCH_KEY_PREFIX}${hit.ns}|g:${hit.group["backup-type"]}/${hit.group["backup-id"]}`;
          out.push({ ...base, kind: "group", key, ns: hit.ns, group: hit.group, searchHit: true });
          if (expanded.has(key) && hit.group["backup-count"] > 0) {
            addSnapshots(hit.ns, { type: hit.group["backup-type"], id: hit.group["backup-id"] }, 2, key);
          }
        }
      }
    };

    if (query.filter) addSearchResults();
    else addNamespace("", 1, "");
    return out;
    // byId is rebuilt every render; `signature` says when its content changed.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [signature, namespaceChildren, expanded, query.filter, requests, pathOnly]);

  /** Loads the page a placeholder row stands for. */
  const requestPage = useCallback(
    (pageId: string) => {
      if (extraPages.has(pageId)) return;
      const [kind, ns, third, fourth] = pageId.split("|");
      let req: PageRequest;
      if (kind === "q") req = searchPage(Number(ns));
      else if (kind === "g") req = groupsPage(ns!, Number(third));
      else {
        const [type, ...id] = third!.split("/");
        req = snapshotsPage(ns!, { type: type as GroupRef["type"], id: id.join("/") }, Number(fourth));
      }
      setExtra((prev) => {
        const pages = new Map(prev.query === query ? prev.pages : []);
        pages.set(pageId, req);
        return { query, pages };
      });
    },
    [extraPages, query],
  );

  const isFetching = results.some((r) => r.isFetching);
  const firstSearch = byId.get(searchPage(0).id)?.data as { total: number } | undefined;
  return { rows, requestPage, isFetching, searchTotal: firstSearch?.total };
}
