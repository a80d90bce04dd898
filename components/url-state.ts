"use client";
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
  // Slashes and colons stay readable in namespace paths and backup times.
  const search = url.searchParams.toString().replace(/%2F/g, "/").replace(/%3A/g, ":");
  const href = `${url.pathname}${search ? `?${search}` : ""}${url.hash}`;
  if (href !== `${window.location.pathname}${window.location.search}${window.location.hash}`) {
    if (mode === "push") window.history.pushState(null, "", href);
    else window.history.replaceState(null, "", href);
  }
  return href;
}
