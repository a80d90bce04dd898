import { handleDownloadRequest } from "@/server/api/download";

// Streams from the datastore: Node runtime, never cached.
export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export function GET(req: Request) {
  return handleDownloadRequest(req);
}

// Declared on its own: Next's automatic HEAD would run GET and leave its body unread, holding
// the snapshot lock and the datastore's read count until the server stops.
export function HEAD(req: Request) {
  return handleDownloadRequest(req);
}
