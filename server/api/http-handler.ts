/**
 * The API over HTTP (app/api/trpc/[trpc]/route.ts serves it; tests call it without a server):
 * the fetch adapter, plus what only HTTP has. auth.login / auth.logout put their cookie in the
 * context's box; otherwise a renewed session (or the clearing of a dead one) goes out with the
 * response. A refusal for now (429: login throttle, full hashing pool) carries Retry-After.
 *
 * Batches: at most MAX_BATCH calls per request, and a login never travels in a batch with other
 * calls, so that one request cannot ask for many password hashes.
 */
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { recordSessionRenewal } from "../auth";
import { sessionSetCookie } from "./auth-middleware";
import { createRequestContext, type Context, type CookieBox } from "./init";
import { appRouter } from "./root";

/** Calls in one batched request; the console sends a few at a time. */
export const MAX_BATCH = 20;

/** Procedures that must come alone: each runs a password hash. */
const UNBATCHABLE = new Set(["auth.login"]);

/** A refusal before tRPC runs, in the shape tRPC's own errors have, so that clients show the message. */
export function refuse(status: number, code: string, message: string): Response {
  const body = JSON.stringify({ error: { json: { message, code: -32600, data: { code, httpStatus: status } } } });
  return new Response(body, { status, headers: { "content-type": "application/json" } });
}

/**
 * The procedures a path after the endpoint names (`a.b`, or a batch's `a.b,c.d`); undefined when
 * it is not valid URL-encoding, which tRPC itself refuses with 400.
 */
function procedureNames(path: string): string[] | undefined {
  try {
    return decodeURIComponent(path).split(",");
  } catch {
    return undefined;
  }
}

/** A refusal for batches tRPC would run, or undefined to go on. */
function checkBatch(req: Request, endpoint: string): Response | undefined {
  const url = new URL(req.url);
  if (url.searchParams.get("batch") !== "1") return undefined;
  const procedures = procedureNames(url.pathname.slice(url.pathname.indexOf(endpoint) + endpoint.length + 1));
  if (procedures === undefined) return undefined;
  if (procedures.length > MAX_BATCH) {
    return refuse(400, "BAD_REQUEST", `too many calls in one batch (${procedures.length}; at most ${MAX_BATCH})`);
  }
  if (procedures.length > 1 && procedures.some((p) => UNBATCHABLE.has(p))) {
    return refuse(400, "BAD_REQUEST", "auth.login cannot be batched with other calls: send each login on its own");
  }
  return undefined;
}

/** The procedures that run to their end whatever the client does (all but the subscriptions). */
const RUN_TO_END: ReadonlySet<string> = new Set(
  Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>)
    .filter(([, p]) => p._def.type === "query" || p._def.type === "mutation")
    .map(([name]) => name),
);

/**
 * Whether a call to `procedures` (the path after the endpoint: `a.b` or a batch `a.b,c.d`) must
 * learn that its client went away: a subscription must stop following. A path that names
 * anything else, or that cannot be read, counts as one that must.
 */
export function callsNeedAbort(procedures: string): boolean {
  const names = procedureNames(procedures);
  return names === undefined || !names.every((n) => RUN_TO_END.has(n));
}

/** Seconds to wait, from the errors of the response (any that says so). */
function retryAfterSeconds(errors: readonly { cause?: unknown }[]): number | undefined {
  let wait: number | undefined;
  for (const e of errors) {
    const ms = (e.cause as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
    if (typeof ms === "number" && ms > 0) wait = Math.max(wait ?? 0, Math.ceil(ms / 1000));
  }
  return wait;
}

export async function handleTrpcRequest(req: Request, endpoint = "/api/trpc"): Promise<Response> {
  const refused = checkBatch(req, endpoint);
  if (refused) return refused;
  const cookie: CookieBox = {};
  let ctx: Context | undefined;
  return fetchRequestHandler({
    endpoint,
    req,
    router: appRouter,
    maxBatchSize: MAX_BATCH,
    createContext: async () => {
      ctx = createRequestContext({ req, cookie });
      const caller = ctx.caller;
      // My account shows when each session was last used; a failed note must not fail the call.
      if (caller?.renewedToken && caller.sessionId) {
        await recordSessionRenewal(caller.sessionId).catch((err: unknown) => console.error("could not record a session renewal:", err));
      }
      return ctx;
    },
    responseMeta: ({ errors }) => {
      const headers = new Headers();
      const setCookie = cookie.value ?? sessionSetCookie(ctx?.caller, req);
      if (setCookie) headers.set("set-cookie", setCookie);
      const wait = retryAfterSeconds(errors);
      if (wait !== undefined) headers.set("retry-after", String(wait));
      return { headers };
    },
    // Unexpected errors are logged once, by the error-mapping middleware in server/api/init.ts.
  });
}
