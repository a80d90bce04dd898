/**
 * Password login (PBS POST /access/ticket): checks the throttle, the password and the account,
 * and answers every failure with the same `authentication failed`, so that a guesser learns
 * nothing about which user names exist. The route or procedure then calls createSession.
 */
import { CofferError } from "../datastore/errors";
import { isValidAuthId } from "../datastore/owner";
import { LoginThrottle } from "./login-throttle";
import { dummyHash, verifyPassword } from "./password";
import { getPasswordHash, isUserActive } from "./users";

/** The console's throttle (one per process). */
export const loginThrottle = new LoginThrottle();

export interface LoginOptions {
  /** Identifies the client for throttling, e.g. its address (`x-forwarded-for` behind a proxy). */
  clientKey?: string;
  now?: number;
  throttle?: LoginThrottle;
}

export function throttleKeys(username: string, clientKey?: string): string[] {
  const keys = [`user:${username.slice(0, 256)}`];
  if (clientKey) keys.push(`client:${clientKey.slice(0, 256)}`);
  return keys;
}

/**
 * Returns the user's auth id when `password` is right and the account active. Throws
 * LoginThrottledError while throttled, otherwise UNAUTHORIZED `authentication failed`.
 */
export async function authenticateUser(username: string, password: string, opts: LoginOptions = {}): Promise<{ authId: string }> {
  const throttle = opts.throttle ?? loginThrottle;
  const keys = throttleKeys(username, opts.clientKey);
  throttle.check(keys, opts.now ?? Date.now());
  const valid = isValidAuthId(username) && !username.includes("!");
  const stored = valid ? getPasswordHash(username) : undefined;
  // Unknown users cost a hash too, so that timing does not tell them apart.
  const matches = await verifyPassword(password, stored ?? (await dummyHash()));
  const now = opts.now ?? Date.now();
  if (!stored || !matches || !isUserActive(username, now)) {
    throttle.recordFailure(keys, now);
    throw new CofferError("UNAUTHORIZED", "authentication failed");
  }
  // Only the user key: a client that also guessed at other users stays slowed down.
  throttle.recordSuccess(keys.slice(0, 1));
  return { authId: username };
}
