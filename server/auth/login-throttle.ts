/**
 * Slows down password guessing. Failures are counted per key: the user name tried
 * (`user:<name>`) and the client (`client:<address>`); the route handler supplies the client key.
 * After `freeFailures` failures a key is locked for a window that doubles with every further
 * failure (1 s, 2 s, 4 s, ... up to 5 min). Attempts inside a window are refused without
 * checking the password and are not counted (so a locked user does not stay locked forever
 * by attempts that could not have succeeded anyway). A success clears the user key; a key's
 * count is forgotten 15 min after its last failure.
 *
 * The state is in memory of the console process: a restart forgets it, which costs an
 * attacker a restart per few guesses; the scrypt cost per attempt remains.
 */
import { CofferError } from "../datastore/errors";

export interface ThrottlePolicy {
  freeFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
  forgetAfterMs: number;
  /** Bound on remembered keys; the least recently failed ones go first. */
  maxEntries: number;
}

export const DEFAULT_THROTTLE: ThrottlePolicy = {
  freeFailures: 3,
  baseDelayMs: 1000,
  maxDelayMs: 5 * 60 * 1000,
  forgetAfterMs: 15 * 60 * 1000,
  maxEntries: 10_000,
};

/** A login refused because of earlier failures; the API may map it to TOO_MANY_REQUESTS. */
export class LoginThrottledError extends CofferError {
  readonly retryAfterMs: number;

  constructor(retryAfterMs: number) {
    super("UNAUTHORIZED", `too many failed login attempts - try again in ${Math.ceil(retryAfterMs / 1000)} s`);
    this.name = "LoginThrottledError";
    this.retryAfterMs = retryAfterMs;
  }
}

interface Entry {
  failures: number;
  lastFailure: number;
  blockedUntil: number;
}

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly policy: ThrottlePolicy = DEFAULT_THROTTLE) {}

  private live(key: string, now: number): Entry | undefined {
    const e = this.entries.get(key);
    if (e && now - e.lastFailure > this.policy.forgetAfterMs && now >= e.blockedUntil) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  /** How long (ms) the caller must still wait before any of `keys` may try again; 0 if allowed. */
  retryAfter(keys: readonly string[], now = Date.now()): number {
    let wait = 0;
    for (const key of keys) {
      const e = this.live(key, now);
      if (e) wait = Math.max(wait, e.blockedUntil - now);
    }
    return wait;
  }

  /** Throws LoginThrottledError while any of `keys` is locked. */
  check(keys: readonly string[], now = Date.now()): void {
    const wait = this.retryAfter(keys, now);
    if (wait > 0) throw new LoginThrottledError(wait);
  }

  recordFailure(keys: readonly string[], now = Date.now()): void {
    for (const key of keys) {
      const e = this.live(key, now) ?? { failures: 0, lastFailure: now, blockedUntil: 0 };
      e.failures += 1;
      e.lastFailure = now;
      const over = e.failures - this.policy.freeFailures;
      if (over > 0) {
        e.blockedUntil = now + Math.min(this.policy.baseDelayMs * 2 ** Math.min(over - 1, 30), this.policy.maxDelayMs);
      }
      // Re-insert so that Map order is least recently failed first.
      this.entries.delete(key);
      this.entries.set(key, e);
    }
    while (this.entries.size > this.policy.maxEntries) {
      this.entries.delete(this.entries.keys().next().value!);
    }
  }

  recordSuccess(keys: readonly string[]): void {
    for (const key of keys) this.entries.delete(key);
  }

  /** Failures counted for `key` (tests, diagnostics). */
  failures(key: string, now = Date.now()): number {
    return this.live(key, now)?.failures ?? 0;
  }
}
