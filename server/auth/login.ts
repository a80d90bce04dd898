/**
 * Password login (PBS POST /access/ticket): checks the throttle, the password and the account,
 * and answers every failure with the same `authentication failed`, so that a guesser learns
 * nothing about which user names exist. The route or procedure then calls createSession.
 */
import { CofferError } from "../datastore/model/errors";
import { isValidAuthId } from "../datastore/model/owner";
import { HashPoolBusyError } from "./hash-pool";
import { LoginThrottle, throttleKeys } from "./login-throttle";
import { dummyHash, verifyPassword } from "./password";
import { getPasswordHash, isUserActive } from "./users";

/** The console's throttle (one per process). */
export const loginThrottle = new LoginThrottle();

export interface LoginOptions {
  /**
   * The client's address, as the console's HTTP server saw it (a forwarded address only from a
   * configured proxy); undefined for callers without HTTP.
   */
  clientAddress?: string;
  now?: number;
  throttle?: LoginThrottle;
}

/**
 * Returns the user's auth id when `password` is right and the account active. Throws
 * LoginThrottledError while throttled, HashPoolBusyError when too many logins are being
 * checked at once (both TOO_MANY_REQUESTS), otherwise UNAUTHORIZED `authentication failed`.
 * The attempt is counted before the password is hashed (login-throttle.ts).
 */
export async function authenticateUser(username: string, password: string, opts: LoginOptions = {}): Promise<{ authId: string }> {
  const throttle = opts.throttle ?? loginThrottle;
  const ticket = throttle.begin(throttleKeys(username, opts.clientAddress), opts.now ?? Date.now());
  const valid = isValidAuthId(username) && !username.includes("!");
  const stored = valid ? getPasswordHash(username) : undefined;
  let matches: boolean;
  try {
    // Unknown users cost a hash too, so that timing does not tell them apart.
    matches = await verifyPassword(password, stored ?? (await dummyHash()));
  } catch (err) {
    if (err instanceof HashPoolBusyError) throttle.cancelled(ticket, opts.now ?? Date.now());
    throw err;
  }
  const now = opts.now ?? Date.now();
  if (!stored || !matches || !isUserActive(username, now)) {
    throw new CofferError("UNAUTHORIZED", "authentication failed");
  }
  throttle.succeeded(ticket, now);
  return { authId: username };
}
