/**
 * The shapes every procedure shares: who calls, what a procedure knows about its request, and
 * what it declares. Apart from init.ts and auth-middleware.ts so that both can use them without
 * importing each other.
 */
import type { Access } from "../auth";
import type { CofferError } from "../datastore/model/errors";

/** The identity of a request, resolved once per request. */
export interface Caller {
  authId?: string;
  /** `local`: a trusted server-side caller without HTTP (tests, server components acting as root@pam). */
  via: "token" | "session" | "local" | "none";
  /** The console session's id (via `session`): My account marks "this session" with it. */
  sessionId?: string;
  /** A renewed session token: the response sets it as the new cookie. */
  renewedToken?: string;
  /** The cookie held an unusable session: the response clears it. */
  clearCookie?: boolean;
  /** A token header that failed: procedures other than public ones answer with this error. */
  error?: CofferError;
}

/**
 * The session cookie a procedure wants the response to set (auth.login) or clear
 * (auth.logout). The route handler sends it; it wins over a renewal of the old session.
 */
export interface CookieBox {
  value?: string;
}

/**
 * What a procedure knows about its request. Tests build it with `createInnerContext` without
 * any HTTP request, naming the caller directly (`LOCAL_CALLER` acts as root@pam).
 */
export interface Context {
  /** Request headers when called over HTTP; absent through `createCaller`. */
  headers?: Headers;
  /** Who calls (resolved once per request from `headers`, or given by a test). */
  caller?: Caller;
  /** Where login/logout put the cookie for the response (HTTP only). */
  cookie?: CookieBox;
  /** Whether the browser reached the console over https (the cookie then gets `Secure`). */
  secure?: boolean;
  /**
   * The client's address as the console's HTTP server saw it (scripts/front-door.mjs; a
   * forwarded address only from a trusted proxy). For login throttling.
   */
  clientAddress?: string;
}

/**
 * What a procedure requires, declared on every procedure with `.meta({ access })`; the type and
 * its meaning live with the checks in server/auth/access.ts. A test (access.test.ts) enumerates
 * every procedure and fails for one without a declaration.
 */
export interface Meta {
  access?: Access;
}
