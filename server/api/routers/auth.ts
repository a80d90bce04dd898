/**
 * Logging in and out of the console, and who the caller is (PBS POST /access/ticket,
 * GET /access/permissions). Login is the one mutation anybody may call; it is throttled per
 * user name and client (server/auth/login-throttle.ts). The session travels only in the
 * HttpOnly cookie the route handler sets from `ctx.cookie`; the token is never in a response body.
 */
import { z } from "zod";
import {
  authenticateUser,
  checkAclPath,
  createSession,
  destroySession,
  privilegeNames,
  privilegesAt,
  sessionCookie,
  sessionTokenFromCookie,
  unauthorized,
  type SessionClient,
} from "../../auth";
import { procedure, router, type Context } from "../init";

/** Where a login comes from, for the user's list of sessions (My account). */
export function clientOf(ctx: Context): SessionClient {
  const agent = ctx.headers?.get("user-agent") ?? undefined;
  return { ...(ctx.clientAddress ? { address: ctx.clientAddress } : {}), ...(agent ? { agent } : {}) };
}

export const authRouter = router({
  /** Checks user and password and starts a session (cookie). */
  login: procedure(
    { path: "public", privileges: [] },
    z.strictObject({
      username: z.string().min(1, "enter your user name").max(256),
      password: z.string().min(1, "enter your password").max(1024),
    }),
  ).mutation(async ({ ctx, input }) => {
    // Throttled or too busy: TOO_MANY_REQUESTS; the route handler adds Retry-After.
    const { authId } = await authenticateUser(
      input.username.trim(),
      input.password,
      ctx.clientAddress ? { clientAddress: ctx.clientAddress } : {},
    );
    const token = await createSession(authId, { client: clientOf(ctx) });
    if (ctx.cookie) ctx.cookie.value = sessionCookie(token, { secure: ctx.secure ?? false });
    return { authId };
  }),

  /** Ends the session at once (also for a copy of the cookie elsewhere) and clears the cookie. */
  logout: procedure({ path: "authenticated", privileges: [] }).mutation(async ({ ctx }) => {
    const token = sessionTokenFromCookie(ctx.headers?.get("cookie"));
    if (token) await destroySession(token);
    if (ctx.cookie) ctx.cookie.value = sessionCookie(undefined, { secure: ctx.secure ?? false });
    return { ok: true };
  }),

  /** The caller's auth id and how it authenticated. */
  whoami: procedure({ path: "authenticated", privileges: [] }).query(({ ctx }) => {
    if (!ctx.auth.authId) throw unauthorized();
    return { authId: ctx.auth.authId, via: ctx.auth.via };
  }),

  /**
   * The caller's own privileges on an ACL path (PBS GET /access/permissions?path=...), so
   * that the console can disable what would be refused and say why. The server still checks
   * every call; this only spares the user a refusal.
   */
  permissions: procedure({ path: "authenticated", privileges: [] }, z.strictObject({ path: z.string().min(1).max(128) })).query(
    ({ ctx, input }) => {
      if (!ctx.auth.authId) throw unauthorized();
      checkAclPath(input.path);
      return { authId: ctx.auth.authId, path: input.path, privileges: privilegeNames(privilegesAt(ctx.auth.authId, input.path)) };
    },
  ),
});
