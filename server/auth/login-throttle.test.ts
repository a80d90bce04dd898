import { describe, expect, it } from "vitest";
import { authenticateUser } from "./login";
import { LoginThrottle, LoginThrottledError, throttleKeys } from "./login-throttle";
import { rejected, useAuthHome } from "./test-support";
import { createUser, updateUser } from "./users";

const T0 = 1_800_000_000_000;
const policy = { freeFailures: 3, freeFailuresPerAddress: 5, baseDelayMs: 1000, maxDelayMs: 60_000, forgetAfterMs: 15 * 60_000, maxEntries: 3 };

describe("LoginThrottle", () => {
  it("lets three attempts through, then locks for windows that double up to the maximum", () => {
    const t = new LoginThrottle(policy);
    const keys = ["user:alice@pbs|client:10.0.0.1"];
    const windows: number[] = [];
    let now = T0;
    for (let i = 0; i < 10; i++) {
      now += t.retryAfter(keys, now); // wait out the current window, then fail again
      t.begin(keys, now);
      windows.push(t.retryAfter(keys, now));
    }
    expect(windows).toEqual([0, 0, 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
  });

  it("counts an attempt when it starts, so a burst gets no more tries than a sequence", () => {
    const t = new LoginThrottle(policy);
    const keys = throttleKeys("alice@pbs", "10.0.0.1");
    const outcomes = Array.from({ length: 40 }, () => {
      try {
        t.begin(keys, T0);
        return "tried";
      } catch (err) {
        expect(err).toBeInstanceOf(LoginThrottledError);
        return "refused";
      }
    });
    expect(outcomes.filter((o) => o === "tried")).toHaveLength(3);
  });

  it("refuses attempts inside the window with the time left, without counting them", () => {
    const t = new LoginThrottle(policy);
    const keys = ["user:alice@pbs|client:10.0.0.1"];
    for (let i = 0; i < 3; i++) t.begin(keys, T0);
    let err: LoginThrottledError | undefined;
    try {
      t.begin(keys, T0 + 200);
    } catch (e) {
      err = e as LoginThrottledError;
    }
    expect(err).toBeInstanceOf(LoginThrottledError);
    expect(err!.code).toBe("TOO_MANY_REQUESTS");
    expect(err!.retryAfterMs).toBe(800);
    expect(err!.message).toBe("too many failed login attempts - try again in 1 s");
    expect(t.failures("user:alice@pbs|client:10.0.0.1", T0 + 200)).toBe(3);
    expect(() => t.begin(keys, T0 + 1000)).not.toThrow();
  });

  it("slows down an address guessing at many users, but never locks a user out elsewhere", () => {
    const t = new LoginThrottle(policy);
    for (const user of ["a", "b", "c", "d"]) t.begin(throttleKeys(`${user}@pbs`, "10.0.0.9"), T0);
    // An address gets more free failures than a user name from it (people share addresses).
    expect(t.retryAfter(throttleKeys("e@pbs", "10.0.0.9"), T0)).toBe(0);
    t.begin(throttleKeys("e@pbs", "10.0.0.9"), T0);
    expect(t.retryAfter(throttleKeys("f@pbs", "10.0.0.9"), T0)).toBe(1000);
    // An attacker hammering alice from one address does not stop alice at another.
    for (let i = 0; i < 3; i++) t.begin(throttleKeys("alice@pbs", "10.6.6.6"), T0);
    expect(t.retryAfter(throttleKeys("alice@pbs", "10.6.6.6"), T0)).toBe(1000);
    expect(t.retryAfter(throttleKeys("alice@pbs", "10.0.0.10"), T0)).toBe(0);
  });

  it("forgets failures 15 minutes after the last one; a success clears its pair and its own count", () => {
    const t = new LoginThrottle({ ...policy, maxEntries: 100 });
    for (let i = 0; i < 2; i++) t.begin(["user:a|client:x"], T0);
    expect(t.failures("user:a|client:x", T0 + 15 * 60_000)).toBe(2);
    expect(t.failures("user:a|client:x", T0 + 15 * 60_000 + 1)).toBe(0);
    const keys = throttleKeys("b@pbs", "10.0.0.1");
    t.begin(keys, T0);
    t.begin(keys, T0);
    t.succeeded(t.begin(keys, T0), T0);
    // (the third attempt was the right password)
    expect(t.retryAfter(keys, T0)).toBe(0);
    expect(t.failures(keys[0]!, T0)).toBe(0);
    expect(t.failures(keys[1]!, T0)).toBe(2); // the two failures from this address stay
  });

  it("takes back an attempt that never checked a password", () => {
    const t = new LoginThrottle(policy);
    const keys = throttleKeys("a@pbs", "10.0.0.1");
    for (let i = 0; i < 5; i++) t.cancelled(t.begin(keys, T0), T0);
    expect(t.retryAfter(keys, T0)).toBe(0);
    expect(t.failures(keys[0]!, T0)).toBe(0);
  });

  it("remembers a bounded number of keys, dropping the least recently failed", () => {
    const t = new LoginThrottle(policy);
    for (const k of ["k1", "k2", "k3", "k4"]) t.begin([k], T0);
    expect(t.failures("k1", T0)).toBe(0);
    expect(t.failures("k4", T0)).toBe(1);
  });
});

describe("authenticateUser", () => {
  useAuthHome();

  it("throttles repeated wrong passwords, even the right one inside the window, and lets it in afterwards", async () => {
    await createUser("alice@pbs", { password: "right-password" });
    const throttle = new LoginThrottle({ ...policy, maxEntries: 100 });
    const opts = { throttle, clientAddress: "10.0.0.1", now: T0 };
    for (let i = 0; i < 3; i++) {
      expect((await rejected(authenticateUser("alice@pbs", "wrong", opts))).message).toBe("authentication failed");
    }
    const err = await rejected(authenticateUser("alice@pbs", "right-password", { ...opts, now: T0 + 500 }));
    expect(err).toBeInstanceOf(LoginThrottledError);
    // From another address the user is not locked out.
    await expect(authenticateUser("alice@pbs", "right-password", { ...opts, clientAddress: "10.0.0.2", now: T0 + 500 })).resolves.toEqual({
      authId: "alice@pbs",
    });
    await expect(authenticateUser("alice@pbs", "right-password", { ...opts, now: T0 + 1000 })).resolves.toEqual({
      authId: "alice@pbs",
    });
    expect(throttle.failures("user:alice@pbs|client:10.0.0.1", T0 + 1000)).toBe(0);
  });

  it("lets no guess of a parallel burst in once the free attempts are used, the right one included", async () => {
    await createUser("alice@pbs", { password: "right-password" });
    const throttle = new LoginThrottle({ ...policy, maxEntries: 100 });
    const opts = { throttle, clientAddress: "10.0.0.1", now: T0 };
    const guesses = Array.from({ length: 40 }, (_, i) => (i === 20 ? "right-password" : `wrong-${i}`));
    const results = await Promise.allSettled(guesses.map((pw) => authenticateUser("alice@pbs", pw, opts)));
    expect(results.filter((r) => r.status === "fulfilled")).toEqual([]);
    const throttled = results.filter((r) => r.status === "rejected" && r.reason instanceof LoginThrottledError);
    expect(throttled).toHaveLength(37);
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
      const err = await rejected(authenticateUser(user, pw, { throttle, now: T0, clientAddress: `10.1.0.${attempts.findIndex((a) => a[0] === user)}` }));
      expect(err.message, user).toBe("authentication failed");
      expect(throttle.failures(throttleKeys(user, `10.1.0.${attempts.findIndex((a) => a[0] === user)}`)[0]!, T0), user).toBe(1);
    }
    await updateUser("bob@pbs", { enable: true });
    await expect(authenticateUser("bob@pbs", "bobs-password", { throttle, now: T0 })).resolves.toEqual({ authId: "bob@pbs" });
  });
});
