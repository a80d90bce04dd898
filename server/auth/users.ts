/**
 * Coffer's own users (realm `pbs`, as PBS's built-in realm), in `COFFER_HOME/etc/users.json`:
 *
 * ```json
 * { "users": [ { "userid": "admin@pbs", "enable": true, "expire": 0, "comment": "...",
 *                "password": { "alg": "scrypt", "N": 32768, "r": 8, "p": 3, "keylen": 32,
 *                              "salt": "<base64>", "hash": "<base64>" } } ] }
 * ```
 *
 * `expire` is epoch seconds, 0 for never (PBS). The listing functions never return the hash.
 * `generation` is a random value that every console session of the user carries
 * (session.ts): it is drawn anew when the user is created, gets a new password or is disabled,
 * so each of these ends every session at once, also for a user deleted and created again
 * under the same name.
 * Removing a user (accounts.ts) removes its API tokens and every ACL entry of the user and its tokens (PBS).
 */
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { CofferError } from "../datastore/model/errors";
import { isValidAuthId, LOCAL_ROOT } from "../datastore/model/owner";
import { printable } from "../datastore/model/names";
import { authPaths, readConfigShared, readConfigSync, withAuthLock, writeConfig } from "./auth-files";
import { checkPassword, hashPassword, passwordHashSchema, type PasswordHash } from "./password";

/** The realm of users Coffer stores itself; `pam` users (root@pam) are not stored. */
export const COFFER_REALM = "pbs";

export const userEntrySchema = z.object({
  userid: z.string().refine(isValidAuthId),
  enable: z.boolean().default(true),
  expire: z.number().int().min(0).default(0),
  comment: z.string().optional(),
  password: passwordHashSchema.optional(),
  /** Sessions carry it; a new value ends them all. Absent in files from before it existed. */
  generation: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/).optional(),
});

export const usersFileSchema = z.object({ users: z.array(userEntrySchema) });

type UserEntry = z.infer<typeof userEntrySchema>;
type UsersFile = z.infer<typeof usersFileSchema>;

/** A user as the API shows it: no password hash. */
export interface UserInfo {
  userid: string;
  enable: boolean;
  expire: number;
  comment?: string;
}

export interface UserOptions {
  enable?: boolean;
  /** Epoch seconds; 0 = never. */
  expire?: number;
  comment?: string;
}

export const emptyUsers = (): UsersFile => ({ users: [] });

export function readUsers(): UsersFile {
  return readConfigShared(authPaths.users(), usersFileSchema, emptyUsers);
}

function info(u: UserEntry): UserInfo {
  return { userid: u.userid, enable: u.enable, expire: u.expire, ...(u.comment !== undefined ? { comment: u.comment } : {}) };
}

/** `user@pbs`: a Coffer user id (no token part, realm pbs). */
export function checkUserid(userid: string): string {
  if (!isValidAuthId(userid) || userid.includes("!")) {
    throw new CofferError("BAD_REQUEST", `invalid user id '${printable(userid)}': expected user@realm`);
  }
  if (!userid.endsWith(`@${COFFER_REALM}`)) {
    throw new CofferError("BAD_REQUEST", `invalid user id '${printable(userid)}': only realm '${COFFER_REALM}' users can be created`);
  }
  return userid;
}

function checkOptions(opts: UserOptions): void {
  if (opts.expire !== undefined && (!Number.isInteger(opts.expire) || opts.expire < 0)) {
    throw new CofferError("BAD_REQUEST", "invalid expire: epoch seconds, 0 for never");
  }
  if (opts.comment !== undefined && (opts.comment.length > 128 || /[\u0000-\u001f\u007f]/.test(opts.comment))) {
    throw new CofferError("BAD_REQUEST", "invalid comment: at most 128 characters, no control characters");
  }
}

/** True when enabled and not expired at `nowSec` (PBS `is_active`). */
export function isActive(entry: { enable: boolean; expire: number }, nowSec: number): boolean {
  return entry.enable && (entry.expire === 0 || entry.expire > nowSec);
}

export function listUsers(): UserInfo[] {
  return readUsers().users.map(info);
}

export function getUser(userid: string): UserInfo | undefined {
  const u = readUsers().users.find((e) => e.userid === userid);
  return u && info(u);
}

/** The stored hash, for login only. */
export function getPasswordHash(userid: string): PasswordHash | undefined {
  return readUsers().users.find((e) => e.userid === userid)?.password;
}

const newGeneration = () => randomBytes(16).toString("base64url");

/**
 * The session generation of an active user (see the file comment), `""` for the local superuser
 * and for users stored before generations existed; undefined when the user may not
 * authenticate now (missing, disabled, expired).
 */
export function sessionGeneration(userid: string, nowMs = Date.now()): string | undefined {
  if (userid === LOCAL_ROOT) return "";
  const u = readUsers().users.find((e) => e.userid === userid);
  if (u === undefined || !isActive(u, Math.floor(nowMs / 1000))) return undefined;
  return u.generation ?? "";
}

/**
 * Whether `userid` may authenticate now: it exists, is enabled and has not expired. The local
 * superuser root@pam is always active (the CLI acts as it; it has no stored entry).
 */
export function isUserActive(userid: string, nowMs = Date.now()): boolean {
  if (userid === LOCAL_ROOT) return true;
  const u = readUsers().users.find((e) => e.userid === userid);
  return u !== undefined && isActive(u, Math.floor(nowMs / 1000));
}

async function updateUsers(fn: (users: UserEntry[]) => UserEntry[] | Promise<UserEntry[]>): Promise<void> {
  await withAuthLock(async () => {
    const current = readConfigSync(authPaths.users(), usersFileSchema, emptyUsers, { fresh: true });
    const next = await fn(current.users);
    next.sort((a, b) => (a.userid < b.userid ? -1 : a.userid > b.userid ? 1 : 0));
    await writeConfig(authPaths.users(), usersFileSchema, { users: next });
  });
}

export async function createUser(userid: string, opts: UserOptions & { password?: string } = {}): Promise<UserInfo> {
  checkUserid(userid);
  checkOptions(opts);
  // Hashed before taking the lock: the lock must not wait on slow work.
  const password = opts.password !== undefined ? await hashPassword(checkPassword(opts.password)) : undefined;
  const entry: UserEntry = {
    userid,
    enable: opts.enable ?? true,
    expire: opts.expire ?? 0,
    ...(opts.comment ? { comment: opts.comment } : {}),
    ...(password ? { password } : {}),
    generation: newGeneration(),
  };
  await updateUsers((users) => {
    if (users.some((u) => u.userid === userid)) throw new CofferError("CONFLICT", `user '${userid}' already exists`);
    return [...users, entry];
  });
  return info(entry);
}

export async function updateUser(userid: string, opts: UserOptions & { password?: string }): Promise<UserInfo> {
  checkOptions(opts);
  const password = opts.password !== undefined ? await hashPassword(checkPassword(opts.password)) : undefined;
  let updated: UserEntry | undefined;
  await updateUsers((users) => {
    const u = users.find((e) => e.userid === userid);
    if (!u) throw new CofferError("NOT_FOUND", `no such user '${userid}'`);
    // Disabling, or a new password, ends every session (a re-enabled user logs in anew).
    if (password || opts.enable === false) u.generation = newGeneration();
    if (opts.enable !== undefined) u.enable = opts.enable;
    if (opts.expire !== undefined) u.expire = opts.expire;
    if (opts.comment !== undefined) {
      if (opts.comment === "") delete u.comment;
      else u.comment = opts.comment;
    }
    if (password) u.password = password;
    updated = u;
    return users;
  });
  return info(updated!);
}

/**
 * Ends every console session of the user at once (log out everywhere) by drawing a new session
 * generation; the account itself is unchanged.
 */
export async function renewSessionGeneration(userid: string): Promise<void> {
  await updateUsers((users) => {
    const u = users.find((e) => e.userid === userid);
    if (!u) throw new CofferError("NOT_FOUND", `no such user '${userid}'`);
    u.generation = newGeneration();
    return users;
  });
}

export async function setPassword(userid: string, password: string): Promise<void> {
  await updateUser(userid, { password });
}

