import { describe, expect, it } from "vitest";
import { authenticateUser } from "./login";
import { LoginThrottle, LoginThrottledError } from "./login-throttle";
import { rejected, useAuthHome } from "./test-support";
import { createUser, updateUser } from "./users";

const T0 = 1_800_000_000_000;
const policy = { freeFailures: 3, baseDelayMs: 1000, maxDelayMs: 60_000, forgetAfterMs: 15 * 60_000, maxEntries: 3 };

describe("LoginThrottle", () => {
  it("lets the first failures through, then locks for windows that double up to the maximum", () => {
    const t = new LoginThrottle(policy);
    const keys = ["user:alice@pbs"];
    const windows: number[] = [];
    let now = T0;
    for (let i = 0; i < 10; i++) {
      now += t.retryAfter(keys, now); // wait out the current window, then fail again
      t.recordFailure(keys, now);
      windows.push(t.retryAfter(keys, now));
    }
    expect(windows).toEqual([0, 0, 0, 1000, 2000, 4000, 8000, 16000, 32000, 60000]);
  });

  it("refuses attempts inside the window with the time left, without counting them", () => {
    const t = new LoginThrottle(policy);
    const keys = ["user:alice@pbs"];
    for (let i = 0; i < 4; i++) t.recordFailure(keys, T0);
    const err = (() => {
      try {
        t.check(keys, T0 + 200);
      } catch (e) {
        return e as LoginThrottledError;
      }
    })();
    expect(err).toBeInstanceOf(LoginThrottledError);
    expect(err!.code).toBe("UNAUTHORIZED");
    expect(err!.retryAfterMs).toBe(800);
    expect(err!.message).toBe("too many failed login attempts - try again in 1 s");
    expect(t.failures("user:alice@pbs", T0 + 200)).toBe(4);
    expect(() => t.check(keys, T0 + 1000)).not.toThrow();
  });

  it("locks on any of the keys: a client guessing at many users is slowed down too", () => {
    const t = new LoginThrottle(policy);
    for (const user of ["a", "b", "c", "d"]) t.recordFailure([`user:${user}@pbs`, "client:10.0.0.9"], T0);
    expect(t.retryAfter(["user:e@pbs", "client:10.0.0.9"], T0)).toBe(1000);
    expect(t.retryAfter(["user:e@pbs", "client:10.0.0.10"], T0)).toBe(0);
  });

  it("forgets failures 15 minutes after the last one, and on success", () => {
    const t = new LoginThrottle({ ...policy, maxEntries: 100 });
    for (let i = 0; i < 3; i++) t.recordFailure(["user:a"], T0);
    expect(t.failures("user:a", T0 + 15 * 60_000)).toBe(3);
    expect(t.failures("user:a", T0 + 15 * 60_000 + 1)).toBe(0);
    for (let i = 0; i < 5; i++) t.recordFailure(["user:b"], T0);
    t.recordSuccess(["user:b"]);
    expect(t.retryAfter(["user:b"], T0)).toBe(0);
  });

  it("remembers a bounded number of keys, dropping the least recently failed", () => {
    const t = new LoginThrottle(policy);
    for (const k of ["k1", "k2", "k3", "k4"]) t.recordFailure([k], T0);
    expect(t.failures("k1", T0)).toBe(0);
    expect(t.failures("k4", T0)).toBe(1);
  });
});

describe("authenticateUser", () => {
  useAuthHome();

  it("throttles repeated wrong passwords, even the right one inside the window, and lets it in afterwards", async () => {
    await createUser("alice@pbs", { password: "right-password" });
    const throttle = new LoginThrottle({ ...policy, maxEntries: 100 });
    const opts = { throttle, clientKey: "10.0.0.1", now: T0 };
    for (let i = 0; i < 4; i++) {
      expect((await rejected(authenticateUser("alice@pbs", "wrong", opts))).message).toBe("authentication failed");
    }
    const err = await rejected(authenticateUser("alice@pbs", "right-password", { ...opts, now: T0 + 500 }));
    expect(err).toBeInstanceOf(LoginThrottledError);
    await expect(authenticateUser("alice@pbs", "right-password", { ...opts, now: T0 + 1000 })).resolves.toEqual({
      authId: "alice@pbs",
    });
    // Success cleared the user's count.
    expect(throttle.failures("user:alice@pbs", T0 + 1000)).toBe(0);
  });

  it("answers unknown users, wrong passwords and disabled accounts alike, and counts them all", async () => {
    await createUser("alice@pbs", { password: "right-password" });
    await createUser("bob@pbs", { password: "bobs-password", enable: false });
    await createUser("nopw@pbs");
    const throttle = new LoginThrottle({ ...policy, maxEntries: 100 });
    const attempts: Array<[string, string]> = [
      ["nobody@pbs", "x"],
      ["alice@pbs", "wrong"],
      ["bob@pbs", "bobs-password"],
      ["nopw@pbs", ""],
      ["not an auth id", "x"],
      ["alice@pbs!token", "x"],
    ];
    for (const [user, pw] of attempts) {
      const err = await rejected(authenticateUser(user, pw, { throttle, now: T0 }));
      expect(err.message, user).toBe("authentication failed");
      expect(throttle.failures(`user:${user}`, T0), user).toBe(1);
    }
    await updateUser("bob@pbs", { enable: true });
    await expect(authenticateUser("bob@pbs", "bobs-password", { throttle, now: T0 })).resolves.toEqual({ authId: "bob@pbs" });
  });
});
