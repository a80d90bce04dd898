import { handleDownloadRequest } from "@/server/api/download";

// Streams from the datastore: Node runtime, never cached.
export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export function GET(req: Request) {
  return handleDownloadRequest(req);
}
