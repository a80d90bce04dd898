"use client";
/**
 * Shared state of one datastore's content tree: which rows are expanded, which row holds the
 * keyboard focus (roving tabindex, WAI-ARIA treegrid pattern), the namespace hierarchy, and the
 * actions rows can start (dialogs, quick mutations).
 *
 * Row keys are paths of the tree (`ns:a|ns:a/b|g:vm/100|s:1700000000`), so that collapsing a row
 * can tell which rows disappear with it, and a group's namespace can be read from its key.
 */
import { createContext, useContext } from "react";
import type { GroupRef, SnapshotRef } from "@/server/datastore/model/names";
import type { GroupListItem, NamespaceListItem, SnapshotListItem } from "@/server/datastore/model/types";

/** The dialogs the tree's row menus open (one at a time, hosted by ContentTree). */
export type ContentDialog =
  | { kind: "create-namespace"; parent: string }
  | { kind: "delete-namespace"; ns: string }
  | { kind: "move-namespace"; ns: string }
  | { kind: "move-group"; ns: string; group: GroupRef }
  | { kind: "group-notes"; ns: string; group: GroupRef }
  | { kind: "change-owner"; ns: string; group: GroupRef; owner: string | undefined; limitedToOwn: boolean }
  | { kind: "delete-group"; ns: string; group: GroupListItem }
  | { kind: "snapshot-notes"; ns: string; snapshot: SnapshotRef }
  | { kind: "delete-snapshot"; ns: string; snapshot: SnapshotListItem }
  | { kind: "verify"; ns: string; group?: GroupRef; snapshot?: SnapshotRef }
  | { kind: "prune"; ns: string; group: GroupRef }
  | { kind: "restore"; ns: string; snapshot: SnapshotRef };

export interface ContentTreeState {
  store: string;
  /** Child namespaces of each namespace, sorted by name; the root is "". */
  namespaceChildren: ReadonlyMap<string, readonly NamespaceListItem[]>;
  isExpanded(key: string): boolean;
  setExpanded(key: string, expanded: boolean): void;
  /** The row that takes Tab focus; null until the user has moved into the tree. */
  activeKey: string | null;
  setActiveKey(key: string): void;
  /** The row whose actions menu is open (Shift+F10 / the context-menu key open it too). */
  menuKey: string | null;
  setMenuKey(key: string | null): void;
  openDialog(dialog: ContentDialog): void;
  /** Runs a quick change (protect, unprotect); its failure is shown above the tree. */
  runAction(what: string, action: () => Promise<unknown>): void;
  /** Why changes are refused right now (maintenance), or undefined. */
  changesBlocked?: string;
}

export const ContentTreeContext = createContext<ContentTreeState | null>(null);

export function useContentTree(): ContentTreeState {
  const state = useContext(ContentTreeContext);
  if (!state) throw new Error("useContentTree must be used inside <ContentTree>");
  return state;
}

export function childKey(parentKey: string, local: string): string {
  return parentKey === "" ? local : `${parentKey}|${local}`;
}

export function isDescendantKey(key: string, ancestor: string): boolean {
  return key.startsWith(`${ancestor}|`);
}

/** The namespace a row key lies in: its last `ns:` segment (the root when there is none). */
export function namespaceOfKey(key: string): string {
  const parts = key.split("|").filter((p) => p.startsWith("ns:"));
  return parts.length === 0 ? "" : parts[parts.length - 1]!.slice(3);
}

/** Every ancestor key of `key`, nearest last. */
export function ancestorKeys(key: string): string[] {
  const parts = key.split("|");
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join("|"));
}

/** Indentation of a row's first cell: one step per level below the top. */
export function indentOf(level: number): number {
  return (level - 1) * 22;
}
