/**
 * My account through createCaller, with real sessions (the cookie box stands in for the route
 * handler, `caller.sessionId` for the request's cookie): a user changes only their own password
 * and only with the current one, wrong guesses are throttled like logins, sessions are listed,
 * ended one by one, and all at once.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { createUser, grantRole, verifySession } from "../../auth";
import { createInnerContext, type CookieBox } from "../init";
import { createCaller } from "../root";
import { callerAs, useDemoHome } from "../test-support";

useDemoHome();

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error("expected a failure");
}

/** Logs in over the login procedure, as a browser with `agent` at `address` would. */
async function logIn(user: string, password: string, address: string, agent = "TestBrowser/1.0"): Promise<string> {
  const box: CookieBox = {};
  const call = createCaller(
    createInnerContext({ caller: { via: "none" }, cookie: box, secure: false, clientAddress: address, headers: new Headers({ "user-agent": agent, "sec-fetch-site": "same-origin" }) }),
  );
  await call.auth.login({ username: user, password });
  return /^CofferAuthCookie=([^;]+)/.exec(box.value!)![1]!;
}

/** The caller a request with this session cookie resolves to, and its response cookie box. */
function asSession(token: string, address = "10.1.0.1") {
  const v = verifySession(token);
  const box: CookieBox = {};
  const call = createCaller(
    createInnerContext({ caller: { authId: v.authId, via: "session", sessionId: v.sessionId }, cookie: box, secure: false, clientAddress: address }),
  );
  return { call, box, sessionId: v.sessionId };
}

function live(token: string): boolean {
  try {
    verifySession(token);
    return true;
  } catch {
    return false;
  }
}

const tokenOf = (box: CookieBox) => /^CofferAuthCookie=([^;]*)/.exec(box.value ?? "")?.[1];

beforeAll(async () => {
  await createUser("admin@pbs", { password: "admin-secret" });
  await grantRole({ path: "/", authId: "admin@pbs", role: "Admin" });
  await createUser("dora@pbs", { password: "dora-secret" });
  await createUser("eve@pbs", { password: "eve-secret" });
  await createUser("finn@pbs", { password: "finn-secret" });
});

describe("account.changePassword", () => {
  it("changes the caller's own password given the current one: other sessions end, this one gets a new cookie", async () => {
    const here = await logIn("dora@pbs", "dora-secret", "10.1.0.1");
    const elsewhere = await logIn("dora@pbs", "dora-secret", "10.1.0.2");
    const { call, box } = asSession(here);
    await call.account.changePassword({ currentPassword: "dora-secret", newPassword: "dora-secret-2" });

    expect(live(here)).toBe(false);
    expect(live(elsewhere)).toBe(false);
    const fresh = tokenOf(box)!;
    expect(verifySession(fresh).authId).toBe("dora@pbs");
    // The new one is the only session left, and it is listed.
    expect((await asSession(fresh).call.account.sessions()).map((s) => s.current)).toEqual([true]);
    await expect(logIn("dora@pbs", "dora-secret", "10.1.0.3")).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await logIn("dora@pbs", "dora-secret-2", "10.1.0.3");
  });

  it("touches nobody else: the input has no user, and other users' sessions live on", async () => {
    const eve = await logIn("eve@pbs", "eve-secret", "10.2.0.1");
    const finn = await logIn("finn@pbs", "finn-secret", "10.2.0.1");
    const bad = { currentPassword: "finn-secret", newPassword: "taken-over", userid: "eve@pbs" } as unknown as {
      currentPassword: string;
      newPassword: string;
    };
    expect((await failure(asSession(finn).call.account.changePassword(bad))).code).toBe("BAD_REQUEST");
    // Eve's password is not Finn's to guess with: Finn's call checks Finn's own password.
    expect((await failure(asSession(finn).call.account.changePassword({ currentPassword: "eve-secret", newPassword: "taken-over" }))).code).toBe(
      "FORBIDDEN",
    );
    expect(live(eve)).toBe(true);
    expect(live(finn)).toBe(true);
    await logIn("eve@pbs", "eve-secret", "10.2.0.2");
  });

  it("refuses a wrong current password without changing anything, then throttles further guesses", async () => {
    const token = await logIn("finn@pbs", "finn-secret", "10.3.0.1");
    const { call } = asSession(token, "10.3.0.9");
    const wrong = await failure(call.account.changePassword({ currentPassword: "guess-1", newPassword: "finn-new-1" }));
    expect(wrong).toMatchObject({ code: "FORBIDDEN", message: "cannot change the password: the current password is not right" });
    expect(live(token)).toBe(true);
    await failure(call.account.changePassword({ currentPassword: "guess-2", newPassword: "finn-new-1" }));
    await failure(call.account.changePassword({ currentPassword: "guess-3", newPassword: "finn-new-1" }));
    // Even the right password waits now: the throttle answers before any hash is computed.
    const throttled = await failure(call.account.changePassword({ currentPassword: "finn-secret", newPassword: "finn-new-1" }));
    expect(throttled.code).toBe("TOO_MANY_REQUESTS");
    expect(throttled.message).toMatch(/try again in \d+ s/);
    expect(live(token)).toBe(true);
    await logIn("finn@pbs", "finn-secret", "10.3.0.2");
  });

  it("says what a new password must be, and refuses API tokens and users of other realms", async () => {
    const token = await logIn("eve@pbs", "eve-secret", "10.4.0.1");
    const short = await failure(asSession(token).call.account.changePassword({ currentPassword: "eve-secret", newPassword: "abc" }));
    // (Over HTTP the error formatter makes this `newPassword: too short: use 5 to 64 characters`.)
    expect(short.code).toBe("BAD_REQUEST");
    expect(short.message).toContain("too short: use 5 to 64 characters");
    expect(live(token)).toBe(true);
    const byToken = createCaller(createInnerContext({ caller: { authId: "eve@pbs!ci", via: "token" } }));
    expect(await failure(byToken.account.changePassword({ currentPassword: "eve-secret", newPassword: "eve-new-1" }))).toMatchObject({
      code: "FORBIDDEN",
      message: "API tokens cannot use My account: log in as the user",
    });
    expect((await failure(createCaller(createInnerContext({ caller: { authId: "root@pam", via: "local" } })).account.sessions())).code).toBe(
      "FORBIDDEN",
    );
  });
});

describe("account sessions", () => {
  it("lists the caller's live sessions with login time, address and browser, this one marked", async () => {
    const first = await logIn("eve@pbs", "eve-secret", "10.5.0.1", "Firefox/140");
    const second = await logIn("eve@pbs", "eve-secret", "10.5.0.2", "Chromium/141");
    await logIn("finn@pbs", "finn-secret", "10.5.0.3");
    const listed = await asSession(second).call.account.sessions();
    const ids = listed.map((s) => s.id);
    expect(ids).toContain(asSession(first).sessionId);
    expect(ids).toContain(asSession(second).sessionId);
    expect(listed.every((s) => typeof s.login === "number" && s.renewed >= s.login)).toBe(true);
    expect(listed.find((s) => s.current)).toMatchObject({ id: asSession(second).sessionId, address: "10.5.0.2", agent: "Chromium/141" });
    expect(listed.filter((s) => s.current)).toHaveLength(1);
    // Nothing of finn's.
    expect(listed.some((s) => s.address === "10.5.0.3")).toBe(false);
  });

  it("ends one session at once, not the others, and not someone else's", async () => {
    const a = await logIn("finn@pbs", "finn-secret", "10.6.0.1");
    const b = await logIn("finn@pbs", "finn-secret", "10.6.0.2");
    const eve = await logIn("eve@pbs", "eve-secret", "10.6.0.3");
    const { call } = asSession(b);
    const aId = asSession(a).sessionId;
    await call.account.endSession({ id: aId });
    expect(live(a)).toBe(false);
    expect(live(b)).toBe(true);
    expect((await call.account.sessions()).map((s) => s.id)).not.toContain(aId);
    // Eve's session id is refused as unknown, and Eve stays logged in.
    expect(await failure(call.account.endSession({ id: asSession(eve).sessionId }))).toMatchObject({ code: "NOT_FOUND" });
    expect(live(eve)).toBe(true);
    expect((await failure(call.account.endSession({ id: "../../etc/passwd" }))).code).toBe("BAD_REQUEST");
  });

  it("ending this session clears its cookie", async () => {
    const token = await logIn("finn@pbs", "finn-secret", "10.7.0.1");
    const { call, box, sessionId } = asSession(token);
    await call.account.endSession({ id: sessionId });
    expect(box.value).toMatch(/^CofferAuthCookie=; .*Max-Age=0/);
    expect(live(token)).toBe(false);
  });

  it("logs out everywhere: every session of the caller ends, this one too; other users keep theirs", async () => {
    const tokens = [
      await logIn("eve@pbs", "eve-secret", "10.8.0.1"),
      await logIn("eve@pbs", "eve-secret", "10.8.0.2"),
      await logIn("eve@pbs", "eve-secret", "10.8.0.3"),
    ];
    const finn = await logIn("finn@pbs", "finn-secret", "10.8.0.4");
    const { call, box } = asSession(tokens[0]!);
    await call.account.logoutEverywhere();
    expect(box.value).toMatch(/^CofferAuthCookie=; .*Max-Age=0/);
    expect(tokens.map(live)).toEqual([false, false, false]);
    expect(live(finn)).toBe(true);
    // A login afterwards works, and is the only session listed.
    const again = await logIn("eve@pbs", "eve-secret", "10.8.0.5");
    expect((await asSession(again).call.account.sessions()).map((s) => s.address)).toEqual(["10.8.0.5"]);
  });

  it("a user without any privilege has an account too", async () => {
    expect(await callerAs("finn@pbs").account.sessions()).toEqual(expect.any(Array));
  });
});
