/**
 * The download route's URL (app/api/download/route.ts; the server parses it with
 * server/api/download.ts's strict schema): a snapshot's archive, or a path inside one.
 */
import type { SnapshotRef } from "@/server/datastore/model/names";

export function downloadPath(q: { store: string; ns: string; snapshot: SnapshotRef; archive: string; path?: string }): string {
  const params = new URLSearchParams({
    store: q.store,
    ns: q.ns,
    type: q.snapshot.type,
    id: q.snapshot.id,
    time: String(q.snapshot.time),
    archive: q.archive,
  });
  if (q.path) params.set("path", q.path);
  return `/api/download?${params.toString()}`;
}
