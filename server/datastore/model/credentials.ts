/**
 * The rules for user names and passwords, shared by the API's schemas and the console's forms
 * so that a form says the same thing the server would (PBS: passwords 5 to 64 characters; user
 * names 1 to 64 characters without white space, `:`, `/` or control characters; Coffer's auth
 * ids leave out `@` and `!` too, which separate realm and token).
 */
import { z } from "zod";

export const PASSWORD_MIN_LENGTH = 5;
export const PASSWORD_MAX_LENGTH = 64;
export const PASSWORD_RULE = `${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters`;

export const USER_NAME_MAX_LENGTH = 64;
export const USER_NAME_RULE = `1 to ${USER_NAME_MAX_LENGTH} characters, no spaces and none of : / @ !`;
const USER_NAME_REGEX = /^[^\s:/\u0000-\u001f\u007f@!]{1,64}$/;

/** Why `password` is not allowed, or undefined when it is. */
export function passwordProblem(password: string): string | undefined {
  if (password.length < PASSWORD_MIN_LENGTH) return `Password too short: use ${PASSWORD_RULE}.`;
  if (password.length > PASSWORD_MAX_LENGTH) return `Password too long: use ${PASSWORD_RULE}.`;
  return undefined;
}

/** Why a user name (the part before `@realm`) is not allowed, or undefined when it is. */
export function userNameProblem(name: string): string | undefined {
  if (name === "") return "Enter a user name.";
  if (!USER_NAME_REGEX.test(name)) return `User name: ${USER_NAME_RULE}.`;
  return undefined;
}

/** A new password (the API prefixes the field name: `password: too short: use 5 to 64 characters`). */
export const newPasswordSchema = z
  .string()
  .min(PASSWORD_MIN_LENGTH, `too short: use ${PASSWORD_RULE}`)
  .max(PASSWORD_MAX_LENGTH, `too long: use ${PASSWORD_RULE}`);

/** A user id `name@realm` as the API takes it (the realm is checked where users are stored). */
export const userIdSchema = z
  .string()
  .min(3, "enter name@realm, e.g. alice@pbs")
  .max(128, `at most 128 characters in all (the name: ${USER_NAME_RULE})`);

export const TOKEN_NAME_MAX_LENGTH = 64;
export const TOKEN_NAME_RULE = `1 to ${TOKEN_NAME_MAX_LENGTH} characters: letters, digits, _ . - (not starting with . or -)`;
/** PBS PROXMOX_SAFE_ID, at most 64 characters: the part after `!` in `user@realm!name`. */
export const TOKEN_NAME_REGEX = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$/;

/** Why a token name is not allowed, or undefined when it is. */
export function tokenNameProblem(name: string): string | undefined {
  if (name === "") return "Enter a token name.";
  if (!TOKEN_NAME_REGEX.test(name)) return `Token name: ${TOKEN_NAME_RULE}.`;
  return undefined;
}
