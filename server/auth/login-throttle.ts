/**
 * Slows down password guessing. Every attempt is counted *before* its password is hashed, so a
 * burst of parallel guesses gets no more tries than a sequence would. Counts are kept per key:
 * the pair of user name and client address (`user:<name>|client:<address>`), and the client
 * address alone (`client:<address>`). So an address guessing one user's password, or many
 * users' passwords, is slowed down, while the real user logging in from another address is
 * not: nobody elsewhere can lock a user out.
 *
 * After `freeFailures` failed attempts (3) a user-and-address key is locked for a window that
 * doubles with every further failure (1 s, 2 s, 4 s, ... up to 5 min). An address alone gets
 * `freeFailuresPerAddress` (30) first, because many people may share one (NAT, a proxy whose
 * forwarded addresses are not trusted): it slows down guessing at many user names without
 * locking out an office after a few typos. Attempts inside a window are refused without
 * hashing anything and are not counted. A success clears its user-and-address key and takes
 * back its own count on the address key; a key is forgotten 15 min after its last failure.
 *
 * The state is in memory of the console process: a restart forgets it. The hashing pool
 * (hash-pool.ts) bounds how many hashes run at all, whoever asks.
 */
import { RetryLaterError } from "../datastore/model/errors";

export interface ThrottlePolicy {
  /** Free failures of one user name from one address. */
  freeFailures: number;
  /** Free failures from one address, whatever the user names. */
  freeFailuresPerAddress: number;
  baseDelayMs: number;
  maxDelayMs: number;
  forgetAfterMs: number;
  /** Bound on remembered keys; the least recently failed ones go first. */
  maxEntries: number;
}

export const DEFAULT_THROTTLE: ThrottlePolicy = {
  freeFailures: 3,
  freeFailuresPerAddress: 30,
  baseDelayMs: 1000,
  maxDelayMs: 5 * 60 * 1000,
  forgetAfterMs: 15 * 60 * 1000,
  maxEntries: 10_000,
};

/** A login refused because of earlier failures (429 with Retry-After over HTTP). */
export class LoginThrottledError extends RetryLaterError {
  constructor(retryAfterMs: number) {
    super(`too many failed login attempts - try again in ${Math.max(1, Math.ceil(retryAfterMs / 1000))} s`, retryAfterMs);
    this.name = "LoginThrottledError";
  }
}

interface Entry {
  failures: number;
  lastFailure: number;
  blockedUntil: number;
}

/** The attempt `begin` counted; hand it back to `succeeded` or `cancelled`. */
export interface ThrottleTicket {
  readonly keys: readonly string[];
}

/** The keys an attempt for `username` from `clientAddress` is counted under. */
export function throttleKeys(username: string, clientAddress: string | undefined): string[] {
  const client = `client:${(clientAddress ?? "local").slice(0, 64)}`;
  return [`user:${username.slice(0, 256)}|${client}`, client];
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

  /**
   * Starts an attempt: throws LoginThrottledError while any of `keys` is locked, otherwise counts
   * the attempt as a failure on every key at once (before any password is checked) and returns
   * the ticket that `succeeded` / `cancelled` take back.
   */
  begin(keys: readonly string[], now = Date.now()): ThrottleTicket {
    const wait = this.retryAfter(keys, now);
    if (wait > 0) throw new LoginThrottledError(wait);
    for (const key of keys) {
      const e = this.live(key, now) ?? { failures: 0, lastFailure: now, blockedUntil: 0 };
      e.failures += 1;
      e.lastFailure = now;
      e.blockedUntil = this.windowEnd(key, e.failures, now);
      // Re-insert so that Map order is least recently failed first.
      this.entries.delete(key);
      this.entries.set(key, e);
    }
    while (this.entries.size > this.policy.maxEntries) {
      this.entries.delete(this.entries.keys().next().value!);
    }
    return { keys: [...keys] };
  }

  private free(key: string): number {
    return key.startsWith("client:") ? this.policy.freeFailuresPerAddress : this.policy.freeFailures;
  }

  private windowEnd(key: string, failures: number, now: number): number {
    const over = failures - this.free(key);
    if (over < 0) return 0;
    return now + Math.min(this.policy.baseDelayMs * 2 ** Math.min(over, 30), this.policy.maxDelayMs);
  }

  /** The password was right: the user-and-address key is cleared, the others lose this count. */
  succeeded(ticket: ThrottleTicket, now = Date.now()): void {
    const [pair, ...rest] = ticket.keys;
    if (pair !== undefined) this.entries.delete(pair);
    this.uncount(rest, now);
  }

  /** The attempt never checked a password (the hashing pool was full): it does not count. */
  cancelled(ticket: ThrottleTicket, now = Date.now()): void {
    this.uncount(ticket.keys, now);
  }

  private uncount(keys: readonly string[], now: number): void {
    for (const key of keys) {
      const e = this.live(key, now);
      if (!e) continue;
      e.failures -= 1;
      if (e.failures <= 0) this.entries.delete(key);
      else if (e.failures < this.free(key)) e.blockedUntil = 0;
    }
  }

  /** Failures counted for `key` (tests, diagnostics). */
  failures(key: string, now = Date.now()): number {
    return this.live(key, now)?.failures ?? 0;
  }
}
