import { describe, expect, it } from "vitest";
import { authPaths } from "./auth-files";
import {
  SESSION_IDLE_MS,
  SESSION_MAX_MS,
  SESSION_RENEW_AFTER_MS,
  createSession,
  destroySession,
  endUserSession,
  listSessions,
  recordSessionRenewal,
  rotateSessionKey,
  sessionCookie,
  sessionTokenFromCookie,
  verifySession,
} from "./session";
import { MAX_SESSIONS_PER_USER } from "./session-registry";
import { fileMode, rejected, thrown, useAuthHome } from "./test-support";
import { deleteUser } from "./accounts";
import { createUser, setPassword, updateUser } from "./users";

useAuthHome();

const T0 = Date.UTC(2026, 0, 1, 8, 0, 0);
const MIN = 60_000;

describe("sessions", () => {
  it("verifies a new session without renewing it, and keeps its key owner-only", async () => {
    await createUser("alice@pbs");
    const token = await createSession("alice@pbs", { now: T0 });
    expect(token).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const v = verifySession(token, { now: T0 + 1000 });
    expect(v).toEqual({ authId: "alice@pbs", sessionId: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/), expiresAt: T0 + SESSION_IDLE_MS });
    expect(fileMode(authPaths.sessionKey())).toBe(0o600);
  });

  it("expires after 2 h idle, and each renewal pushes the idle end out", async () => {
    await createUser("alice@pbs");
    const token = await createSession("alice@pbs", { now: T0 });
    expect(thrown(() => verifySession(token, { now: T0 + SESSION_IDLE_MS })).message).toBe("authentication failed - session expired");

    const used = verifySession(token, { now: T0 + 90 * MIN });
    expect(used.renewedToken).toBeDefined();
    expect(used.expiresAt).toBe(T0 + 90 * MIN + SESSION_IDLE_MS);
    // The renewed token lives on past the original's idle end; the original does not.
    expect(verifySession(used.renewedToken!, { now: T0 + 3 * 60 * MIN }).authId).toBe("alice@pbs");
    expect(thrown(() => verifySession(token, { now: T0 + 3 * 60 * MIN })).code).toBe("UNAUTHORIZED");
  });

  it("renews at most once a minute", async () => {
    await createUser("alice@pbs");
    const token = await createSession("alice@pbs", { now: T0 });
    expect(verifySession(token, { now: T0 + SESSION_RENEW_AFTER_MS - 1 }).renewedToken).toBeUndefined();
    expect(verifySession(token, { now: T0 + SESSION_RENEW_AFTER_MS }).renewedToken).toBeDefined();
  });

  it("ends 24 h after login however often it is renewed", async () => {
    await createUser("alice@pbs");
    let token = await createSession("alice@pbs", { now: T0 });
    for (let t = T0 + 60 * MIN; t < T0 + SESSION_MAX_MS; t += 60 * MIN) {
      token = verifySession(token, { now: t }).renewedToken ?? token;
    }
    const last = verifySession(token, { now: T0 + SESSION_MAX_MS - MIN });
    expect(last.expiresAt).toBe(T0 + SESSION_MAX_MS);
    expect(thrown(() => verifySession(last.renewedToken ?? token, { now: T0 + SESSION_MAX_MS })).message).toBe(
      "authentication failed - session expired",
    );
  });

  it("refuses a forged, altered or foreign token", async () => {
    await createUser("alice@pbs");
    await createUser("mallory@pbs");
    const token = await createSession("mallory@pbs", { now: T0 });
    const [v, , sig] = token.split(".");
    const forged = Buffer.from(JSON.stringify({ u: "alice@pbs", s: "A".repeat(22), c: T0, r: T0 })).toString("base64url");
    for (const bad of [`${v}.${forged}.${sig}`, `${token}x`, "v1.e30.", "garbage", ""]) {
      expect(thrown(() => verifySession(bad, { now: T0 + 1000 })).message).toBe("authentication failed - invalid session");
    }
    // Checked once (and remembered: session.ts decode), then refused under a new key.
    expect(verifySession(token, { now: T0 + 1000 }).authId).toBe("mallory@pbs");
    await rotateSessionKey();
    expect(thrown(() => verifySession(token, { now: T0 + 1000 })).message).toBe("authentication failed - invalid session");
  });

  it("ends a destroyed session (logout) but no other session of the user", async () => {
    await createUser("alice@pbs");
    const a = await createSession("alice@pbs", { now: T0 });
    const b = await createSession("alice@pbs", { now: T0 });
    const renewedA = verifySession(a, { now: T0 + 5 * MIN }).renewedToken!;
    await destroySession(a, { now: T0 + 6 * MIN });
    // A renewed copy of the same session is gone too: the session id is revoked, not the string.
    expect(thrown(() => verifySession(renewedA, { now: T0 + 7 * MIN })).code).toBe("UNAUTHORIZED");
    expect(thrown(() => verifySession(a, { now: T0 + 7 * MIN })).code).toBe("UNAUTHORIZED");
    expect(verifySession(b, { now: T0 + 7 * MIN }).authId).toBe("alice@pbs");
    await destroySession("not a token");
  });

  it("drops revoked entries once their session could no longer be valid anyway", async () => {
    await createUser("alice@pbs");
    await destroySession(await createSession("alice@pbs", { now: T0 }), { now: T0 });
    await destroySession(await createSession("alice@pbs", { now: T0 + SESSION_MAX_MS + 1 }), { now: T0 + SESSION_MAX_MS + 1 });
    const { readFileSync } = await import("node:fs");
    expect(JSON.parse(readFileSync(authPaths.revokedSessions(), "utf8")).revoked).toHaveLength(1);
  });

  it("ends the sessions of a user who is disabled, expires or is deleted", async () => {
    await createUser("alice@pbs");
    const token = await createSession("alice@pbs", { now: T0 });
    await updateUser("alice@pbs", { enable: false });
    expect(thrown(() => verifySession(token, { now: T0 + 1000 })).message).toBe(
      "authentication failed - user account disabled or expired",
    );
    await updateUser("alice@pbs", { enable: true, expire: Math.floor((T0 + 10 * MIN) / 1000) });
    // Re-enabling does not bring the old session back (the disable ended it for good).
    expect(thrown(() => verifySession(token, { now: T0 + 1000 })).message).toBe("authentication failed - session expired");
    const fresh = await createSession("alice@pbs", { now: T0 });
    expect(verifySession(fresh, { now: T0 + 1000 }).authId).toBe("alice@pbs");
    expect(thrown(() => verifySession(fresh, { now: T0 + 10 * MIN })).code).toBe("UNAUTHORIZED");
    await deleteUser("alice@pbs");
    expect(thrown(() => verifySession(fresh, { now: T0 + 1000 })).code).toBe("UNAUTHORIZED");
  });

  it("ends every session of a user on a password change, a disable, and a delete and re-create", async () => {
    const live = (token: string) => {
      try {
        return verifySession(token, { now: T0 + 1000 }).authId === "carol@pbs";
      } catch {
        return false;
      }
    };
    await createUser("carol@pbs", { password: "first-secret" });
    const before = await createSession("carol@pbs", { now: T0 });
    expect(live(before)).toBe(true);
    await setPassword("carol@pbs", "second-secret");
    expect(live(before)).toBe(false);

    const afterPassword = await createSession("carol@pbs", { now: T0 });
    await updateUser("carol@pbs", { comment: "unrelated change" });
    expect(live(afterPassword)).toBe(true); // only the listed changes end sessions
    await updateUser("carol@pbs", { enable: false });
    await updateUser("carol@pbs", { enable: true });
    expect(live(afterPassword)).toBe(false);

    const afterEnable = await createSession("carol@pbs", { now: T0 });
    await deleteUser("carol@pbs");
    await createUser("carol@pbs", { password: "third-secret" });
    expect(live(afterEnable)).toBe(false);
    expect(live(await createSession("carol@pbs", { now: T0 }))).toBe(true);
  });

  it("lists live sessions: an unlisted one is refused, expired ones are pruned, each user keeps at most the cap", async () => {
    await createUser("alice@pbs");
    await createUser("bob@pbs");
    const bob = await createSession("bob@pbs", { now: T0 });
    const first = await createSession("alice@pbs", { now: T0, client: { address: "10.0.0.1", agent: "A\u0000gent" } });
    expect(listSessions("alice@pbs", { now: T0 })).toEqual([
      { id: verifySession(first, { now: T0 }).sessionId, login: T0, renewed: T0, address: "10.0.0.1", agent: "A gent" },
    ]);
    await endUserSession("alice@pbs", verifySession(first, { now: T0 }).sessionId);
    expect(thrown(() => verifySession(first, { now: T0 + 1000 })).message).toBe("authentication failed - session expired");

    // The cap: the least recently renewed session of the user ends when one more logs in.
    const tokens: string[] = [];
    for (let i = 0; i < MAX_SESSIONS_PER_USER; i++) tokens.push(await createSession("alice@pbs", { now: T0 + i }));
    await recordSessionRenewal(verifySession(tokens[0]!, { now: T0 }).sessionId, { now: T0 + 5 * MIN });
    await createSession("alice@pbs", { now: T0 + 6 * MIN });
    expect(listSessions("alice@pbs", { now: T0 + 6 * MIN })).toHaveLength(MAX_SESSIONS_PER_USER);
    expect(verifySession(tokens[0]!, { now: T0 + 6 * MIN }).authId).toBe("alice@pbs");
    expect(thrown(() => verifySession(tokens[1]!, { now: T0 + 6 * MIN })).code).toBe("UNAUTHORIZED");
    expect(verifySession(bob, { now: T0 + 6 * MIN }).authId).toBe("bob@pbs");

    // A day later every one of them has gone from the file, not only from the listing.
    await createSession("bob@pbs", { now: T0 + SESSION_MAX_MS + 1 });
    const { readFileSync } = await import("node:fs");
    expect(JSON.parse(readFileSync(authPaths.sessions(), "utf8")).sessions).toHaveLength(1);
    expect(fileMode(authPaths.sessions())).toBe(0o600);
  });

  it("writes a session's renewal at most once a minute, however often it is renewed", async () => {
    await createUser("alice@pbs");
    const sid = verifySession(await createSession("alice@pbs", { now: T0 }), { now: T0 }).sessionId;
    const { statSync } = await import("node:fs");
    const version = () => statSync(authPaths.sessions(), { bigint: true }).mtimeNs;
    await recordSessionRenewal(sid, { now: T0 + 2 * MIN });
    const written = version();
    // A client that keeps sending the old cookie is renewed on each request: nothing more is written.
    for (let s = 1; s <= 50; s++) await recordSessionRenewal(sid, { now: T0 + 2 * MIN + s * 1000 });
    expect(version()).toBe(written);
    expect(listSessions("alice@pbs", { now: T0 + 3 * MIN })[0]!.renewed).toBe(T0 + 2 * MIN);
    await recordSessionRenewal(sid, { now: T0 + 3 * MIN + 1 });
    expect(listSessions("alice@pbs", { now: T0 + 3 * MIN + 1 })[0]!.renewed).toBe(T0 + 3 * MIN + 1);
  });

  it("is for users only, not API tokens", async () => {
    expect((await rejected(createSession("alice@pbs!ci"))).code).toBe("BAD_REQUEST");
  });

  it("builds the cookie the route handler sets, and finds it again", async () => {
    expect(sessionCookie("tok", { secure: false })).toBe("CofferAuthCookie=tok; Path=/; HttpOnly; SameSite=Strict; Max-Age=7200");
    expect(sessionCookie("tok", { secure: true })).toMatch(/; Secure$/);
    expect(sessionCookie(undefined, { secure: false })).toBe("CofferAuthCookie=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    expect(sessionTokenFromCookie("a=1; CofferAuthCookie=v1.x.y; b=2")).toBe("v1.x.y");
    expect(sessionTokenFromCookie("a=1")).toBeUndefined();
    expect(sessionTokenFromCookie(null)).toBeUndefined();
  });
});
