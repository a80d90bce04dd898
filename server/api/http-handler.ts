/**
 * The API over HTTP (app/api/trpc/[trpc]/route.ts serves it; tests call it without a server):
 * the fetch adapter, plus the session cookie on the way out. auth.login / auth.logout put
 * their cookie in the context's box; otherwise a renewed session (or the clearing of a dead
 * one) goes out with the response.
 */
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { sessionSetCookie } from "./auth-middleware";
import { createRequestContext, type Context, type CookieBox } from "./init";
import { appRouter } from "./root";

export function handleTrpcRequest(req: Request, endpoint = "/api/trpc"): Promise<Response> {
  const cookie: CookieBox = {};
  let ctx: Context | undefined;
  return fetchRequestHandler({
    endpoint,
    req,
    router: appRouter,
    createContext: () => (ctx = createRequestContext({ req, cookie })),
    responseMeta: () => {
      const setCookie = cookie.value ?? sessionSetCookie(ctx?.caller, req);
      return setCookie ? { headers: new Headers([["set-cookie", setCookie]]) } : {};
    },
    // Unexpected errors are logged once, by the error-mapping middleware in server/api/init.ts.
  });
}
