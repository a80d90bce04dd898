/**
 * `/`: a redirect answered by the server (307), to the datastore list with a session and to
 * the login page without one, so that nobody waits for a client-side "Redirecting…". A route
 * handler, not a page: a page's redirect comes after the root layout began streaming (200).
 */
import { resolveCaller } from "@/server/api/auth-middleware";

export const dynamic = "force-dynamic";

export function GET(req: Request): Response {
  const caller = resolveCaller(req.headers);
  const to = caller.via === "session" && caller.authId ? "/datastores" : "/login";
  return new Response(null, { status: 307, headers: { location: to, "cache-control": "no-store" } });
}
