/**
 * Where the auth state lives and how it is read and written. Everything is in
 * `COFFER_HOME/etc` (DESIGN.md sections 2 and 13): the directory is kept at 0700 and every file
 * at 0600, because users.json holds password hashes, tokens.json token secret hashes and
 * session-key the key that signs sessions.
 *
 * Writers change a file only under one lock for all auth config files (`auth.cfg`, 10 s wait as
 * every config lock), through a temporary file and a rename (writeFileAtomic), so a reader never
 * sees a half-written file and never needs the lock. Readers are synchronous and cache the parsed
 * file by its inode, mtime and size: an atomic rename always brings a new inode, so a change by
 * another process is seen on the next read. Checking a request therefore costs one stat per file.
 */
import { chmodSync, mkdirSync, statSync } from "node:fs";
import path from "node:path";
import type { z } from "zod";
import { writeFileAtomic } from "../platform/atomic-file";
import { lockNamed } from "../platform/file-lock";
import { readJsonFileCached, writeJsonFileDone } from "../platform/json-file-cache";
import { paths } from "../config/paths";

export const SECRET_FILE_MODE = 0o600;
export const SECRET_DIR_MODE = 0o700;

export const authPaths = {
  users: () => path.join(paths.etc(), "users.json"),
  tokens: () => path.join(paths.etc(), "tokens.json"),
  acl: () => path.join(paths.etc(), "acl.json"),
  sessionKey: () => path.join(paths.etc(), "session-key"),
  revokedSessions: () => path.join(paths.etc(), "revoked-sessions.json"),
  /** The live console sessions (session-registry.ts). */
  sessions: () => path.join(paths.etc(), "sessions.json"),
  adminPassword: () => path.join(paths.etc(), "admin-password"),
  /** One lock for all auth config files: a user's removal changes users, tokens and ACL together. */
  lock: () => path.join(paths.globalLocks(), "auth.cfg"),
};

/** Creates `COFFER_HOME/etc` owner-only, and tightens it if something made it wider. */
export function ensureSecretDir(): void {
  const dir = paths.etc();
  mkdirSync(dir, { recursive: true, mode: SECRET_DIR_MODE });
  if ((statSync(dir).mode & 0o777) !== SECRET_DIR_MODE) chmodSync(dir, SECRET_DIR_MODE);
}

/**
 * Reads and validates a JSON config file; `empty` when it does not exist. Synchronous so that
 * privilege checks stay plain functions; the files are small. Each caller gets its own copy of
 * the cached value (platform/json-file-cache.ts), which it may change.
 */
export function readConfigSync<T>(
  file: string,
  schema: z.ZodType<T>,
  empty: () => T,
  options: { fresh?: boolean } = {},
): T {
  const value = readJsonFileCached(file, schema, "config", options);
  return value === undefined ? empty() : structuredClone(value);
}

/**
 * readConfigSync without the copy: the cached value itself, which json-file-cache.ts keeps
 * frozen, for the checks every request makes (session, user, token, ACL), which only look.
 * Copying the users, sessions and ACL files for each of those cost 4-7 % of the server under
 * load (bench/soak.ts). A caller that tried to change the value would throw (it is frozen),
 * never change what others see; one that means to change it uses readConfigSync.
 */
export function readConfigShared<T>(file: string, schema: z.ZodType<T>, empty: () => T): T {
  return readJsonFileCached(file, schema, "config") ?? empty();
}

/** Runs `fn` holding the auth config lock. Keep `fn` short: no long synchronous work inside. */
export async function withAuthLock<T>(fn: () => Promise<T>): Promise<T> {
  ensureSecretDir();
  const guard = await lockNamed(authPaths.lock());
  try {
    return await fn();
  } finally {
    await guard.release();
  }
}

/** Validates and writes a config file atomically with mode 0600. Call under `withAuthLock`. */
export async function writeConfig<T>(file: string, schema: z.ZodType<T>, value: T): Promise<void> {
  const doc = schema.parse(value);
  ensureSecretDir();
  await writeFileAtomic(file, `${JSON.stringify(doc, null, 2)}\n`, SECRET_FILE_MODE);
  writeJsonFileDone(file);
}

/**
 * Read-modify-write of one config file under the auth lock: `fn` gets the current content and
 * returns the new one (or throws to change nothing).
 */
export async function updateConfig<T>(
  file: string,
  schema: z.ZodType<T>,
  empty: () => T,
  fn: (current: T) => T | Promise<T>,
): Promise<T> {
  return withAuthLock(async () => {
    const next = await fn(readConfigSync(file, schema, empty, { fresh: true }));
    await writeConfig(file, schema, next);
    return next;
  });
}
