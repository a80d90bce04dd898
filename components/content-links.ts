/**
 * Links into a datastore's content tree: `/datastores/{store}?ns=prod/eu&group=vm/300&time=
 * 2024-05-01T10:00:00Z` names a namespace, a group in it, or a snapshot of that group; the
 * tree opens everything above it and puts the focus there. The search text and the group order
 * travel in `q`, `sort` and `desc`. Every parameter is checked with the engine's own rules; a
 * malformed one is reported and ignored, never used to build a request.
 */
import type { GroupSort } from "@/server/api/types";
import { BackupNamespace, formatBackupTime, parseBackupTime, parseGroupPath, type GroupRef } from "@/server/datastore/model/names";

export interface ContentLocation {
  ns: string;
  group?: GroupRef;
  /** Backup time, epoch seconds. */
  time?: number;
}

export interface ContentView {
  location?: ContentLocation;
  /** What was wrong with the link, for the user. */
  problem?: string;
  q: string;
  sort: GroupSort;
  desc: boolean;
}

const SORTS: readonly GroupSort[] = ["name", "last-backup", "backup-count", "owner"];

export function contentHref(store: string, ns = "", group?: GroupRef, time?: number): string {
  const params = new URLSearchParams();
  if (ns) params.set("ns", ns);
  if (group) params.set("group", `${group.type}/${group.id}`);
  if (group && time !== undefined) params.set("time", formatBackupTime(time));
  const query = params.toString().replace(/%2F/g, "/").replace(/%3A/g, ":");
  return `/datastores/${encodeURIComponent(store)}${query ? `?${query}` : ""}`;
}

/** Reads a content link's parameters; anything malformed becomes `problem`. */
export function parseContentView(params: URLSearchParams): ContentView {
  const sortParam = params.get("sort");
  const view: ContentView = {
    q: (params.get("q") ?? "").slice(0, 256),
    sort: SORTS.includes(sortParam as GroupSort) ? (sortParam as GroupSort) : "name",
    desc: params.get("desc") === "1",
  };
  const ns = params.get("ns");
  const group = params.get("group");
  const time = params.get("time");
  if (ns === null && group === null) return view;
  try {
    const location: ContentLocation = { ns: BackupNamespace.parse(ns ?? "").toString() };
    if (group !== null) {
      location.group = parseGroupPath(group);
      if (time !== null) location.time = parseBackupTime(time);
    }
    view.location = location;
  } catch (err) {
    view.problem = `This link names no valid place in the datastore: ${(err as Error).message}. Showing the whole datastore instead.`;
  }
  return view;
}

/**
 * The content tree's row keys for a location (the tree's key scheme, useContentTree): the rows
 * to open (the namespaces down to it, itself when it is a namespace, and the group of a
 * snapshot) and the row to focus (none for the root).
 */
export function locationKeys(location: ContentLocation): { expand: string[]; focus: string } {
  const expand: string[] = [];
  let key = "";
  const parts = location.ns === "" ? [] : location.ns.split("/");
  parts.forEach((_, i) => {
    key = `${key ? `${key}|` : ""}ns:${parts.slice(0, i + 1).join("/")}`;
    expand.push(key);
  });
  if (!location.group) return { expand, focus: key };
  key = `${key ? `${key}|` : ""}g:${location.group.type}/${location.group.id}`;
  if (location.time === undefined) return { expand, focus: key };
  expand.push(key);
  return { expand, focus: `${key}|s:${location.time}` };
}

/** The location a row key stands for (the inverse of locationKeys' focus). */
export function locationOfKey(key: string): ContentLocation {
  const parts = key.split("|");
  const location: ContentLocation = { ns: "" };
  for (const part of parts) {
    if (part.startsWith("ns:") || part.startsWith("r:")) location.ns = part.slice(part.indexOf(":") + 1);
    else if (part.startsWith("g:")) {
      const m = /^g:(vm|ct|host)\/(.+)$/.exec(part);
      if (m) location.group = { type: m[1] as GroupRef["type"], id: m[2]! };
    } else if (part.startsWith("s:") && /^s:\d+$/.test(part)) location.time = Number(part.slice(2));
  }
  return location;
}

/** "namespace prod/eu", "group vm/300 in prod/eu", "snapshot vm/300/2024-05-01T10:00:00Z in prod/eu". */
export function describeLocation(at: ContentLocation): string {
  const where = at.ns ? ` in ${at.ns}` : "";
  if (!at.group) return at.ns ? `namespace ${at.ns}` : "root namespace";
  const group = `${at.group.type}/${at.group.id}`;
  if (at.time === undefined) return `group ${group}${where}`;
  return `snapshot ${group}/${formatBackupTime(at.time)}${where}`;
}
