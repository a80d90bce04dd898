"use client";
import { useCallback, useState } from "react";
/**
 * The console keeps what a page shows (the focused row of a tree, filters, an open task) in the
 * address bar's query, so that a reload, a shared link and back/forward come back to it. Pages
 * read the query with `useSearchParams` and write it here, through the History API (which the
 * App Router follows without a server round trip).
 */

/** Sets (or, for undefined and "", removes) query parameters. Returns the new href. */
export function updateUrlQuery(changes: Record<string, string | undefined>, mode: "push" | "replace" = "replace"): string {
  const url = new URL(window.location.href);
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined || value === "") url.searchParams.delete(key);
    else url.searchParams.set(key, value);
  }
  // Slashes, colons, @ and commas stay readable (namespace paths, backup times, UPIDs, lists).
  const search = url.searchParams.toString().replace(/%2F/g, "/").replace(/%3A/g, ":").replace(/%40/g, "@").replace(/%2C/g, ",");
  const href = `${url.pathname}${search ? `?${search}` : ""}${url.hash}`;
  if (href !== `${window.location.pathname}${window.location.search}${window.location.hash}`) {
    if (mode === "push") window.history.pushState(null, "", href);
    else window.history.replaceState(null, "", href);
  }
  return href;
}

/**
 * State that lives in the URL but must answer at once: the History API's update reaches
 * `useSearchParams` only on the router's next render, and a controlled checkbox cannot wait for
 * it. The value follows the URL whenever the URL changes (reload, back/forward, a link); a
 * change from the page is shown at once and written to the URL.
 */
export function useUrlBackedState<T>(fromUrl: T, toQuery: (value: T) => Record<string, string | undefined>): [T, (next: T) => void] {
  const urlKey = JSON.stringify(fromUrl);
  const [state, setState] = useState<{ value: T; urlKey: string }>({ value: fromUrl, urlKey });
  let current = state;
  if (state.urlKey !== urlKey) {
    current = { value: fromUrl, urlKey };
    setState(current);
  }
  const set = useCallback(
    (next: T) => {
      setState((prev) => ({ ...prev, value: next }));
      updateUrlQuery(toQuery(next));
    },
    [toQuery],
  );
  return [current.value, set];
}
