import { handleTrpcRequest } from "@/server/api/http-handler";

// The engine uses node:fs, locks and child processes, and every answer reflects the disk now.
export const runtime = "nodejs";
export const dynamic = "force-dynamic";

function handler(req: Request) {
  return handleTrpcRequest(req);
}

export { handler as GET, handler as POST };
