/**
 * My account: what every logged-in user of realm `pbs` may do for themselves, and nothing for
 * anybody else (the caller is the only user these procedures ever touch). Changing the password
 * needs the current one, checked under the login throttle so that a session left open cannot
 * be used to guess it; the new password ends every other session of the user, and this one
 * gets a fresh cookie. Sessions: list them, end one, or end them all (log out everywhere).
 * API tokens cannot use any of this: they are not the person.
 */
import { z } from "zod";
import {
  authenticateUser,
  COFFER_REALM,
  createSession,
  endAllUserSessions,
  endUserSession,
  listSessions,
  LoginThrottledError,
  sessionCookie,
  setPassword,
  unauthorized,
} from "../../auth";
import { newPasswordSchema } from "../../datastore/model/credentials";
import { CofferError } from "../../datastore/model/errors";
import { procedure, router, type Access, type Context } from "../init";
import type { AuthState } from "../auth-middleware";
import { clientOf } from "./auth";

const SELF: Access = { path: "authenticated", privileges: [] };

/** The caller as a user of realm pbs; FORBIDDEN for API tokens and other realms. */
function accountUser(auth: AuthState): string {
  const authId = auth.authId;
  if (!authId) throw unauthorized();
  if (authId.includes("!")) throw new CofferError("FORBIDDEN", "API tokens cannot use My account: log in as the user");
  if (!authId.endsWith(`@${COFFER_REALM}`)) {
    throw new CofferError("FORBIDDEN", `cannot manage the account of '${authId}' here: only users of realm '${COFFER_REALM}' have one`);
  }
  return authId;
}

function clearCookie(ctx: Context): void {
  if (ctx.cookie) ctx.cookie.value = sessionCookie(undefined, { secure: ctx.secure ?? false });
}

export const accountRouter = router({
  /** New password for the caller, given the current one. */
  changePassword: procedure(
    SELF,
    z.strictObject({
      currentPassword: z.string().min(1, "enter your current password").max(1024),
      newPassword: newPasswordSchema,
    }),
  ).mutation(async ({ ctx, input }) => {
    const user = accountUser(ctx.auth);
    try {
      // The login's own check and throttle: wrong guesses here count as failed logins.
      await authenticateUser(user, input.currentPassword, ctx.clientAddress ? { clientAddress: ctx.clientAddress } : {});
    } catch (err) {
      if (err instanceof LoginThrottledError) throw err;
      if (err instanceof CofferError && err.code === "UNAUTHORIZED") {
        throw new CofferError("FORBIDDEN", "cannot change the password: the current password is not right");
      }
      throw err;
    }
    await setPassword(user, input.newPassword);
    // The new password ended every session of the user, this one too: hand this browser a new one.
    if (ctx.auth.via === "session" && ctx.cookie) {
      ctx.cookie.value = sessionCookie(await createSession(user, { client: clientOf(ctx) }), { secure: ctx.secure ?? false });
    }
    return { ok: true };
  }),

  /** The caller's live console sessions, the one making this call marked `current`. */
  sessions: procedure(SELF).query(({ ctx }) => {
    const user = accountUser(ctx.auth);
    const current = ctx.caller?.sessionId;
    return listSessions(user).map((s) => ({ ...s, current: s.id === current }));
  }),

  /** Ends one of the caller's sessions (NOT_FOUND for any other id, someone else's included). */
  endSession: procedure(SELF, z.strictObject({ id: z.string().regex(/^[A-Za-z0-9_-]{22}$/, "not a session id") })).mutation(
    async ({ ctx, input }) => {
      const user = accountUser(ctx.auth);
      await endUserSession(user, input.id);
      if (input.id === ctx.caller?.sessionId) clearCookie(ctx);
      return { ok: true };
    },
  ),

  /** Ends every session of the caller, this one included; the browser goes to the login page. */
  logoutEverywhere: procedure(SELF).mutation(async ({ ctx }) => {
    const user = accountUser(ctx.auth);
    await endAllUserSessions(user);
    clearCookie(ctx);
    return { ok: true };
  }),
});
