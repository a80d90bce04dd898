"use client";
/**
 * Which rows of a datastore's tree are open survives a reload and back/forward: kept per store
 * in the tab's sessionStorage (not the URL: a deep tree's open rows would make links
 * unreadable, and a link names one place, content-links.ts). Restored after the first render,
 * so the server's HTML and the first client render agree.
 */
import { useEffect, useRef, type Dispatch, type SetStateAction } from "react";

const MAX_KEYS = 500;

export function useRestoredExpansion(store: string, expanded: ReadonlySet<string>, setExpanded: Dispatch<SetStateAction<ReadonlySet<string>>>) {
  const storageKey = `coffer:content-tree:${store}`;
  const restored = useRef(false);
  useEffect(() => {
    try {
      const saved: unknown = JSON.parse(window.sessionStorage.getItem(storageKey) ?? "[]");
      const keys = Array.isArray(saved) ? saved.filter((k): k is string => typeof k === "string").slice(0, MAX_KEYS) : [];
      if (keys.length > 0) setExpanded((prev) => new Set([...keys, ...prev]));
    } catch {
      // A damaged entry is forgotten, not fatal.
    }
    restored.current = true;
  }, [storageKey, setExpanded]);
  useEffect(() => {
    if (!restored.current) return;
    try {
      window.sessionStorage.setItem(storageKey, JSON.stringify([...expanded].slice(0, MAX_KEYS)));
    } catch {
      // Storage full or disabled: expansion is then just not remembered.
    }
  }, [storageKey, expanded]);
}
