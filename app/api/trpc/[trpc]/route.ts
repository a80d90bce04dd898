import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { createRequestContext } from "@/server/api/init";
import { appRouter } from "@/server/api/root";

// The engine uses node:fs, locks and child processes, and every answer reflects the disk now.
export const runtime = "nodejs";
export const dynamic = "force-dynamic";

function handler(req: Request) {
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: () => createRequestContext({ req }),
    // Unexpected errors are logged once, by the error-mapping middleware in server/api/init.ts.
  });
}

export { handler as GET, handler as POST };
