/**
 * The live console sessions, in `COFFER_HOME/etc/sessions.json`, so that a user can see where
 * they are logged in and end a session (My account). Session tokens stay HMAC-signed
 * (session.ts); this list is what makes one *live*: a signed token whose id is not listed here
 * is refused, so ending a session is removing its entry, and the list a user sees is exactly the
 * sessions that still work.
 *
 * Each entry: session id, user, login time, last renewal, and the client's address and user
 * agent as the console saw them at login (the address only when the front door set it). Bounded:
 * entries go once their session could no longer be valid (24 h after login, or 2 h after the
 * last renewal recorded here plus a margin), at most MAX_PER_USER per user (the least recently
 * renewed ends first when a user logs in once more) and MAX_TOTAL in all. Written under the auth
 * lock with atomic renames like every auth file (auth-files.ts).
 */
import { z } from "zod";
import { authPaths, readConfigShared, readConfigSync, updateConfig } from "./auth-files";

export const MAX_SESSIONS_PER_USER = 50;
export const MAX_SESSIONS_TOTAL = 5000;
/** Kept longer than the idle limit: a renewal whose write failed must not end a live session. */
const IDLE_MARGIN_MS = 10 * 60 * 1000;

export const SESSION_ID_REGEX = /^[A-Za-z0-9_-]{22}$/;

const entrySchema = z.object({
  sid: z.string().regex(SESSION_ID_REGEX),
  user: z.string().min(1).max(128),
  /** The user's session generation at login (users.ts): a newer one means the session ended. */
  g: z.string().max(64),
  login: z.number().int(),
  renewed: z.number().int(),
  address: z.string().max(64).optional(),
  agent: z.string().max(256).optional(),
});
export type SessionEntry = z.infer<typeof entrySchema>;

const fileSchema = z.object({ sessions: z.array(entrySchema) });
type SessionsFile = z.infer<typeof fileSchema>;

const empty = (): SessionsFile => ({ sessions: [] });

export interface SessionLimits {
  idleMs: number;
  maxMs: number;
}

function live(e: SessionEntry, now: number, limits: SessionLimits): boolean {
  return now < e.login + limits.maxMs && now < e.renewed + limits.idleMs + IDLE_MARGIN_MS;
}

/** Control characters out, length bounded: the agent is the client's own text. */
function clean(text: string | undefined, max: number): string | undefined {
  if (text === undefined) return undefined;
  const t = text.replace(/[\u0000-\u001f\u007f]/g, " ").trim().slice(0, max);
  return t === "" ? undefined : t;
}

/** Lists a new session; ends the user's least recently renewed ones beyond the cap. */
export async function recordSession(entry: SessionEntry, now: number, limits: SessionLimits): Promise<void> {
  const address = clean(entry.address, 64);
  const agent = clean(entry.agent, 256);
  const add: SessionEntry = {
    sid: entry.sid,
    user: entry.user,
    g: entry.g,
    login: entry.login,
    renewed: entry.renewed,
    ...(address ? { address } : {}),
    ...(agent ? { agent } : {}),
  };
  await updateConfig(authPaths.sessions(), fileSchema, empty, (current) => {
    const kept = current.sessions.filter((e) => live(e, now, limits) && e.sid !== add.sid);
    const mine = kept.filter((e) => e.user === add.user).sort((a, b) => a.renewed - b.renewed);
    const evict = new Set(mine.slice(0, Math.max(0, mine.length - (MAX_SESSIONS_PER_USER - 1))).map((e) => e.sid));
    let sessions = [...kept.filter((e) => !evict.has(e.sid)), add];
    if (sessions.length > MAX_SESSIONS_TOTAL) {
      sessions = sessions.sort((a, b) => a.renewed - b.renewed).slice(sessions.length - MAX_SESSIONS_TOTAL);
    }
    return { sessions };
  });
}

/** Whether a session is listed (cheap: the file is cached by its inode and mtime). */
export function isSessionListed(sid: string): boolean {
  return readConfigShared(authPaths.sessions(), fileSchema, empty).sessions.some((e) => e.sid === sid);
}

/**
 * My account shows when a session was last used to the minute, so a renewal is written at most
 * once a minute per session: a client that does not keep the renewed cookie (a script with a
 * copied session cookie) has its session renewed on every request, and each write would make
 * every request after it read the sessions file again.
 */
const RENEWAL_NOTE_MS = 60_000;

/** Records a renewal (the console sent the session a fresh cookie at `now`). */
export async function noteRenewal(sid: string, now: number): Promise<void> {
  const listed = readConfigShared(authPaths.sessions(), fileSchema, empty).sessions.find((e) => e.sid === sid);
  if (listed && listed.renewed > now - RENEWAL_NOTE_MS) return;
  await updateConfig(authPaths.sessions(), fileSchema, empty, (current) => ({
    sessions: current.sessions.map((e) => (e.sid === sid ? { ...e, renewed: Math.max(e.renewed, now) } : e)),
  }));
}

/** The user's live sessions of generation `g`, most recently logged in first. */
export function listUserSessions(user: string, g: string, now: number, limits: SessionLimits): SessionEntry[] {
  return readConfigShared(authPaths.sessions(), fileSchema, empty)
    .sessions.filter((e) => e.user === user && e.g === g && live(e, now, limits))
    .sort((a, b) => b.login - a.login);
}

/** Removes the listed sessions `which` selects; returns how many went. */
export async function removeSessions(which: (e: SessionEntry) => boolean): Promise<number> {
  let removed = 0;
  await updateConfig(authPaths.sessions(), fileSchema, empty, (current) => {
    const sessions = current.sessions.filter((e) => !which(e));
    removed = current.sessions.length - sessions.length;
    return { sessions };
  });
  return removed;
}
