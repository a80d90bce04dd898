/**
 * How the console prints values. Pure functions, shared by every view so that a size or a time
 * looks the same everywhere.
 */

const SIZE_UNITS = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"] as const;

/** Binary units with one decimal, as PBS's UI shows sizes: `512 B`, `1.2 GiB`. */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "—";
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  let value = bytes;
  let unit = -1;
  // Stop one step early when rounding would print 1024.0 of the smaller unit.
  while (value >= 1023.95 && unit < SIZE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${SIZE_UNITS[unit]}`;
}

/** `YYYY-MM-DD HH:MM:SS` in UTC, from epoch seconds: the same clock as the snapshot names. */
export function formatUtcTime(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  if (Number.isNaN(d.getTime())) return "—";
  return d.toISOString().slice(0, 19).replace("T", " ");
}

/** A snapshot's name as PBS writes it: `vm/100/2026-11-20T10:00:00Z`. */
export function snapshotName(type: string, id: string, epochSeconds: number): string {
  return `${type}/${id}/${new Date(epochSeconds * 1000).toISOString().slice(0, 19)}Z`;
}

/** The root namespace is the empty string; people read it as "Root". */
export function namespaceLabel(ns: string): string {
  return ns === "" ? "Root" : ns;
}

/** ` in a/b` for an item in a namespace, nothing in the root: context for accessible names. */
export function inNamespace(ns: string): string {
  return ns === "" ? "" : ` in ${ns}`;
}

/** The first line of notes: the API sends only that, but a list must never grow multi-line rows. */
export function firstLine(text: string | undefined): string {
  return text === undefined ? "" : (text.split(/\r?\n/, 1)[0] ?? "");
}
