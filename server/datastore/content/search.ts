/**
 * Search over a whole datastore (the console's filter box): namespaces whose name contains the
 * text, and groups whose `type/id`, owner or notes do, in every namespace the caller may see,
 * paged. Matching uses the same cached owner/notes text as a namespace's filtered listing, so
 * a search stats each group once and reads in full only the groups of the page it returns.
 */
import { BackupNamespace, MAX_NAMESPACE_DEPTH, type GroupRef } from "../model/names";
import type { GroupListItem } from "../model/types";
import { readStoreOf, type ReadHandle } from "../open";
import { listGroups } from "./group";
import { groupListItem } from "./listing";
import { filterGroups, mapLimited, PARALLEL_READS, type Page } from "./listing-page";
import { listNamespacesRecursive } from "./namespace";

export type SearchHit = { kind: "namespace"; ns: string } | { kind: "group"; ns: string; group: GroupListItem };

/** What the caller may see of a namespace: every group, only its own, or nothing. */
export type NamespaceVisibility = "all" | "own" | "none";

export interface SearchOptions {
  /** Case-insensitive; surrounding blanks are ignored. */
  text: string;
  visibility(ns: string): NamespaceVisibility;
  /** For `own` namespaces: whether the caller owns a group with this owner. */
  owns(owner: string): boolean;
  offset: number;
  limit: number;
}

/**
 * Hits in tree order: matching namespaces first (pre-order), then matching groups by
 * namespace, then by type and id. `total` counts every hit.
 */
export async function searchContent(handle: ReadHandle, opts: SearchOptions): Promise<Page<SearchHit>> {
  const store = readStoreOf(handle);
  const needle = opts.text.trim().toLowerCase();
  const namespaces = (await listNamespacesRecursive(store, BackupNamespace.root, MAX_NAMESPACE_DEPTH))
    .map((ns) => ({ ns: ns.toString(), parsed: ns }))
    .filter((n) => opts.visibility(n.ns) !== "none");
  type Ref = { kind: "namespace"; ns: string } | { kind: "group"; ns: string; ref: GroupRef };
  const hits: Ref[] = [];
  if (needle) {
    for (const n of namespaces) {
      const name = n.ns.slice(n.ns.lastIndexOf("/") + 1).toLowerCase();
      if (n.ns !== "" && name.includes(needle)) hits.push({ kind: "namespace", ns: n.ns });
    }
    for (const n of namespaces) {
      const ns = n.parsed;
      const own = opts.visibility(n.ns) === "own";
      const ownerFilter = own ? (owner: string | undefined) => owner !== undefined && opts.owns(owner) : undefined;
      const refs = await filterGroups(store, ns, await listGroups(store, ns), { needle, ...(ownerFilter ? { ownerFilter } : {}) });
      for (const g of refs) hits.push({ kind: "group", ns: n.ns, ref: g });
    }
  }
  const page = hits.slice(opts.offset, opts.offset + opts.limit);
  const items = await mapLimited(page, PARALLEL_READS, async (h): Promise<SearchHit> => {
    if (h.kind === "namespace") return h;
    return { kind: "group", ns: h.ns, group: await groupListItem(store, BackupNamespace.parse(h.ns), h.ref) };
  });
  return { items, total: hits.length };
}
