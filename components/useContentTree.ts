"use client";
/**
 * Shared state of one datastore's content tree: which rows are expanded, which row holds the
 * keyboard focus (roving tabindex, WAI-ARIA treegrid pattern), and the namespace hierarchy.
 *
 * Row keys are paths of the tree (`ns:a|ns:a/b|g:vm/100|s:1700000000`), so that collapsing a row
 * can tell which rows disappear with it.
 */
import { createContext, useContext } from "react";
import type { NamespaceListItem } from "@/server/datastore/types";

export interface ContentTreeState {
  store: string;
  /** Child namespaces of each namespace, sorted by name; the root is "". */
  namespaceChildren: ReadonlyMap<string, readonly NamespaceListItem[]>;
  isExpanded(key: string): boolean;
  setExpanded(key: string, expanded: boolean): void;
  /** The row that takes Tab focus; null until the user has moved into the tree. */
  activeKey: string | null;
  setActiveKey(key: string): void;
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

/** Indentation of a row's first cell: one step per level below the top. */
export function indentOf(level: number): number {
  return (level - 1) * 22;
}
