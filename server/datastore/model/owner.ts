/**
 * PBS auth ids, as group owners and task users: `user@realm` or `user@realm!token`.
 * User names: 1-64 characters without white space, `:`, `/` or control characters; realm and
 * token name: SAFE_ID (realm 2-32 characters).
 */
import { CofferError } from "./errors";
import { printable } from "./names";

const AUTH_ID_REGEX =
  /^([^\s:/\u0000-\u001f\u007f@!]{1,64})@([A-Za-z0-9_][A-Za-z0-9._\-]{1,31})(?:!([A-Za-z0-9_][A-Za-z0-9._\-]{0,63}))?$/;

/** The local superuser the CLI acts as (DESIGN.md section 9). */
export const LOCAL_ROOT = "root@pam";

export function parseAuthId(s: string): string {
  if (!AUTH_ID_REGEX.test(s)) {
    throw new CofferError("BAD_REQUEST", `invalid auth id '${printable(s)}': expected user@realm or user@realm!token`);
  }
  return s;
}

export function isValidAuthId(s: string): boolean {
  return AUTH_ID_REGEX.test(s);
}

/** The user part of a token id (`user@realm!token` -> `user@realm`). */
export function authIdUser(authId: string): string {
  const bang = authId.indexOf("!");
  return bang === -1 ? authId : authId.slice(0, bang);
}

/**
 * PBS check_backup_owner: the owner matches, or the owner is a token of the calling user.
 * Fails with `backup owner check failed ({auth} != {owner})`.
 */
export function checkBackupOwner(owner: string, auth: string): void {
  if (owner === auth) return;
  if (owner.includes("!") && !auth.includes("!") && authIdUser(owner) === auth) return;
  throw new CofferError("FORBIDDEN", `backup owner check failed (${auth} != ${owner})`);
}
