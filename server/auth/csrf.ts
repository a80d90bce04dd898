/**
 * Refuses cross-site requests that change something or hold a stream open (DESIGN.md 13). The
 * session cookie is SameSite=Strict already; this is the second line, and the one that covers
 * browsers or proxies that get SameSite wrong.
 *
 * Use: in the tRPC auth middleware, for every call whose procedure type is `mutation` or
 * `subscription` (pass that type as `method`: a subscription arrives over SSE as a GET, so the
 * HTTP method alone would let it through), and in any plain route handler for its HTTP method.
 * Queries (and GET/HEAD/OPTIONS) pass unchecked: the browser's same-origin policy keeps their
 * answers from a cross-site page, and without the cookie they carry no identity anyway.
 *
 * The rule, for checked requests:
 * - `Sec-Fetch-Site`, when present, must be `same-origin` (or `none`: typed by the user);
 * - `Origin`, when present, must name this host (`null` never does);
 * - otherwise `Referer`, when present, must name this host;
 * - with none of the three, only an API-token request passes: browsers send at least one of
 *   them on every mutation, and a token is not sent by a browser on its own.
 * "This host" is the request's `Host` (or `X-Forwarded-Host` behind a proxy, which a page
 * cannot set on a cross-site request without a CORS preflight that Coffer never grants), or
 * one of `allowedOrigins`. Scheme and port are compared as part of the host, not the scheme: a
 * TLS-terminating proxy talks http to the console.
 */
import { CofferError } from "../datastore/model/errors";

export interface SameOriginOptions {
  /** How the request authenticated: `token` (Authorization header), `session` (cookie) or none. */
  auth?: "token" | "session" | "none";
  /** Extra origins to accept, e.g. `https://backup.example.com` behind a proxy that rewrites Host. */
  allowedOrigins?: readonly string[];
}

const UNCHECKED = new Set(["GET", "HEAD", "OPTIONS", "QUERY"]);

/** Whether a request of this HTTP method or tRPC procedure type must be same-origin. */
export function needsSameOrigin(method: string): boolean {
  return !UNCHECKED.has(method.toUpperCase());
}

function refuse(why: string): CofferError {
  return new CofferError("FORBIDDEN", `cross-site request refused: ${why}`);
}

function hostOf(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.protocol === "http:" || u.protocol === "https:" ? u.host.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Throws FORBIDDEN (`cross-site request refused: ...`) unless the request may proceed.
 * `method`: the HTTP method, or the tRPC procedure type (`query`, `mutation`, `subscription`).
 */
export function checkSameOrigin(headers: Headers, method: string, opts: SameOriginOptions = {}): void {
  if (!needsSameOrigin(method)) return;
  const fetchSite = headers.get("sec-fetch-site");
  if (fetchSite !== null && fetchSite !== "same-origin" && fetchSite !== "none") {
    throw refuse(`Sec-Fetch-Site is '${fetchSite}'`);
  }
  const allowed = new Set<string>();
  const forwarded = headers.get("x-forwarded-host")?.split(",")[0]?.trim();
  const host = forwarded || headers.get("host");
  if (host) allowed.add(host.toLowerCase());
  for (const o of opts.allowedOrigins ?? []) {
    const h = hostOf(o);
    if (h) allowed.add(h);
  }
  const origin = headers.get("origin");
  if (origin !== null) {
    const h = origin === "null" ? undefined : hostOf(origin);
    if (!h || !allowed.has(h)) throw refuse(`origin '${origin}' is not this host`);
    return;
  }
  const referer = headers.get("referer");
  if (referer !== null) {
    const h = hostOf(referer);
    if (!h || !allowed.has(h)) throw refuse("referer is not this host");
    return;
  }
  if (fetchSite !== null) return; // same-origin or none, said by the browser itself
  if (opts.auth !== "token") throw refuse("no Origin, Referer or Sec-Fetch-Site header");
}
