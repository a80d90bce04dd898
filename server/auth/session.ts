/**
 * Console sessions: HMAC-signed tokens, so that checking a request needs no server-side
 * session table (and survives a console restart), plus a small server-side list of logged-out
 * sessions so that logout really ends a session before it expires.
 *
 * Token: `v1.<payload>.<signature>`, both base64url; the payload is JSON
 * `{ u: authId, g: the user's session generation, s: session id (random), c: created ms,
 * r: renewed ms }`, the signature
 * HMAC-SHA256 over `v1.<payload>` with the key in `COFFER_HOME/etc/session-key` (32 random
 * bytes, created on first use, mode 0600).
 *
 * Expiry: a session ends 2 h after its last renewal (idle) and 24 h after login (absolute).
 * `verifySession` renews a valid token that is older than a minute by returning
 * `renewedToken` (same session id and login time, new renewal time); the route handler sets it
 * as the new cookie. Every check also requires the user to still exist, be enabled and not be
 * expired, and to have the session's generation (users.ts): a password change, disabling, or
 * deleting and re-creating the user draws a new one, which ends every older session at once.
 *
 * Live sessions are also listed on the server (session-registry.ts): a signed token whose
 * session is not listed is refused, which is how a user ends one of their sessions from
 * elsewhere (My account) and how "log out everywhere" ends them all.
 *
 * Cookie (for the route handler, see `sessionCookie`): `CofferAuthCookie=<token>; Path=/;
 * HttpOnly; SameSite=Strict; Max-Age=7200`, plus `Secure` when the console is served over
 * https. SameSite=Strict keeps the browser from sending it with cross-site requests; the
 * same-origin check (csrf.ts) is the second line.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { CofferError } from "../datastore/model/errors";
import { isValidAuthId } from "../datastore/model/owner";
import { authPaths, readConfigShared, readConfigSync, withAuthLock, writeConfig } from "./auth-files";
import {
  listUserSessions,
  noteRenewal,
  recordSession,
  removeSessions,
  isSessionListed,
  type SessionEntry,
} from "./session-registry";
import { renewSessionGeneration, sessionGeneration } from "./users";

export const SESSION_COOKIE = "CofferAuthCookie";
export const SESSION_IDLE_MS = 2 * 60 * 60 * 1000;
export const SESSION_MAX_MS = 24 * 60 * 60 * 1000;
/** A token younger than this is not renewed (at most one new cookie a minute). */
export const SESSION_RENEW_AFTER_MS = 60 * 1000;
/** Tolerated clock step backwards between two console processes. */
const CLOCK_SKEW_MS = 60 * 1000;

export interface ClockOptions {
  /** Current time, epoch ms (tests inject it). */
  now?: number;
}

/** Where a login came from, as the console saw it (shown to the user in My account). */
export interface SessionClient {
  /** Only when the front door set it (server/api/init.ts). */
  address?: string;
  /** The browser's User-Agent header. */
  agent?: string;
}

const LIMITS = { idleMs: SESSION_IDLE_MS, maxMs: SESSION_MAX_MS };

const keyFileSchema = z.object({ key: z.string().regex(/^[A-Za-z0-9_-]{43}$/), created: z.number() });
type KeyFile = z.infer<typeof keyFileSchema>;

const revokedFileSchema = z.object({ revoked: z.array(z.object({ sid: z.string(), until: z.number() })) });
type RevokedFile = z.infer<typeof revokedFileSchema>;

const payloadSchema = z.object({
  u: z.string().refine(isValidAuthId),
  g: z.string().max(64),
  s: z.string().regex(/^[A-Za-z0-9_-]{22}$/),
  c: z.number().int(),
  r: z.number().int(),
});
type Payload = z.infer<typeof payloadSchema>;

const noKey = (): KeyFile | undefined => undefined;

/** The session key as stored (base64url), from the cached file. */
function readKeyText(): string | undefined {
  return readConfigShared(authPaths.sessionKey(), keyFileSchema.optional(), noKey)?.key;
}

function readKey(): Buffer | undefined {
  const text = readKeyText();
  return text === undefined ? undefined : Buffer.from(text, "base64url");
}

async function ensureKey(): Promise<Buffer> {
  const existing = readKey();
  if (existing) return existing;
  await withAuthLock(async () => {
    if (readConfigSync(authPaths.sessionKey(), keyFileSchema.optional(), noKey, { fresh: true })) return;
    await writeConfig(authPaths.sessionKey(), keyFileSchema, { key: randomBytes(32).toString("base64url"), created: Date.now() });
  });
  return readKey()!;
}

/** A new key: every existing session ends (log out everyone). */
export async function rotateSessionKey(): Promise<void> {
  await withAuthLock(async () => {
    await writeConfig(authPaths.sessionKey(), keyFileSchema, { key: randomBytes(32).toString("base64url"), created: Date.now() });
  });
}

function sign(key: Buffer, body: string): string {
  return createHmac("sha256", key).update(body).digest("base64url");
}

function encode(key: Buffer, payload: Payload): string {
  const body = `v1.${Buffer.from(JSON.stringify(payload)).toString("base64url")}`;
  return `${body}.${sign(key, body)}`;
}

const expired = () => new CofferError("UNAUTHORIZED", "authentication failed - session expired");
const invalid = () => new CofferError("UNAUTHORIZED", "authentication failed - invalid session");

/**
 * Tokens whose signature this process has checked against `decoded.key`, with their payloads:
 * a browser sends the same token with every request until it is renewed (a minute), and checking
 * the HMAC and parsing the payload anew each time cost 4 % of the server under load. Only the
 * signature and the payload are remembered; whether the session is still valid (revoked, listed,
 * the user's generation, its age) is checked on every request (verifySession). A new key
 * forgets them all.
 */
const decoded: { key: string | undefined; tokens: Map<string, Readonly<Payload>> } = { key: undefined, tokens: new Map() };
const DECODED_MAX = 10_000;

/** The signed payload, or undefined when the token is malformed or its signature is wrong. */
function decode(token: string): Readonly<Payload> | undefined {
  const keyText = readKeyText();
  if (keyText !== decoded.key) {
    decoded.key = keyText;
    decoded.tokens.clear();
  }
  const known = decoded.tokens.get(token);
  if (known) return known;
  const parts = token.split(".");
  if (!keyText || parts.length !== 3 || parts[0] !== "v1") return undefined;
  const body = `${parts[0]}.${parts[1]}`;
  const expected = Buffer.from(sign(Buffer.from(keyText, "base64url"), body), "base64url");
  const actual = Buffer.from(parts[2]!, "base64url");
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return undefined;
  let payload: Payload;
  try {
    const parsed = payloadSchema.safeParse(JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8")));
    if (!parsed.success) return undefined;
    payload = parsed.data;
  } catch {
    return undefined;
  }
  if (decoded.tokens.size >= DECODED_MAX) decoded.tokens.clear();
  decoded.tokens.set(token, Object.freeze(payload));
  return payload;
}

const noRevoked = (): RevokedFile => ({ revoked: [] });

/** Starts a session for a user (not a token: tokens authenticate every request themselves). */
export async function createSession(authId: string, opts: ClockOptions & { client?: SessionClient } = {}): Promise<string> {
  if (!isValidAuthId(authId) || authId.includes("!")) {
    throw new CofferError("BAD_REQUEST", "sessions are for users, not API tokens");
  }
  const now = opts.now ?? Date.now();
  const generation = sessionGeneration(authId, now);
  if (generation === undefined) throw new CofferError("UNAUTHORIZED", "authentication failed - user account disabled or expired");
  const key = await ensureKey();
  const sid = randomBytes(16).toString("base64url");
  await recordSession({ sid, user: authId, g: generation, login: now, renewed: now, ...opts.client }, now, LIMITS);
  return encode(key, { u: authId, g: generation, s: sid, c: now, r: now });
}

export interface VerifiedSession {
  authId: string;
  /** The session's id (stays the same across renewals). */
  sessionId: string;
  /** Set when the token was renewed: send it as the new cookie. */
  renewedToken?: string;
  /** When the session ends if not used again (epoch ms). */
  expiresAt: number;
}

/**
 * Checks a session token. Throws UNAUTHORIZED (`authentication failed - ...`) when it is forged,
 * expired, logged out, or its user is gone, disabled or expired.
 */
export function verifySession(token: string, opts: ClockOptions = {}): VerifiedSession {
  const now = opts.now ?? Date.now();
  const p = decode(token);
  if (!p) throw invalid();
  if (p.r < p.c || p.c > now + CLOCK_SKEW_MS || p.r > now + CLOCK_SKEW_MS) throw invalid();
  const absoluteEnd = p.c + SESSION_MAX_MS;
  if (now >= absoluteEnd || now >= p.r + SESSION_IDLE_MS) throw expired();
  if (readConfigShared(authPaths.revokedSessions(), revokedFileSchema, noRevoked).revoked.some((e) => e.sid === p.s)) throw expired();
  // Ended from My account, by "log out everywhere", or pushed out by the per-user cap.
  if (!isSessionListed(p.s)) throw expired();
  const generation = sessionGeneration(p.u, now);
  if (generation === undefined) {
    throw new CofferError("UNAUTHORIZED", "authentication failed - user account disabled or expired");
  }
  // A password change, a disable or a delete-and-recreate since login: this session is over.
  if (generation !== p.g) throw expired();
  if (now - p.r < SESSION_RENEW_AFTER_MS) {
    return { authId: p.u, sessionId: p.s, expiresAt: Math.min(p.r + SESSION_IDLE_MS, absoluteEnd) };
  }
  const renewedToken = encode(readKey()!, { ...p, r: now });
  return { authId: p.u, sessionId: p.s, renewedToken, expiresAt: Math.min(now + SESSION_IDLE_MS, absoluteEnd) };
}

/**
 * Ends a session (logout): its id goes on the revoked list until the session could have lived
 * at most, so the list stays short. A forged or unreadable token is ignored.
 */
export async function destroySession(token: string, opts: ClockOptions = {}): Promise<void> {
  const now = opts.now ?? Date.now();
  const p = decode(token);
  if (!p) return;
  await withAuthLock(async () => {
    const current = readConfigSync(authPaths.revokedSessions(), revokedFileSchema, noRevoked, { fresh: true });
    const revoked = current.revoked.filter((e) => e.until > now && e.sid !== p.s);
    revoked.push({ sid: p.s, until: p.c + SESSION_MAX_MS });
    await writeConfig(authPaths.revokedSessions(), revokedFileSchema, { revoked });
  });
  await removeSessions((e) => e.sid === p.s);
}

/**
 * Records that the console renewed a session's cookie (route handler, after verifySession
 * returned `renewedToken`), so that My account shows when each session was last used.
 */
export async function recordSessionRenewal(sessionId: string, opts: ClockOptions = {}): Promise<void> {
  await noteRenewal(sessionId, opts.now ?? Date.now());
}

/** A live session as its user sees it in My account. */
export interface SessionInfo {
  id: string;
  /** Login time, epoch ms. */
  login: number;
  /** Last renewal of its cookie (about the last use, to the minute), epoch ms. */
  renewed: number;
  address?: string;
  agent?: string;
}

function sessionInfo(e: SessionEntry): SessionInfo {
  return {
    id: e.sid,
    login: e.login,
    renewed: e.renewed,
    ...(e.address ? { address: e.address } : {}),
    ...(e.agent ? { agent: e.agent } : {}),
  };
}

/** The user's live sessions, newest login first. */
export function listSessions(user: string, opts: ClockOptions = {}): SessionInfo[] {
  const now = opts.now ?? Date.now();
  const generation = sessionGeneration(user, now);
  if (generation === undefined) return [];
  return listUserSessions(user, generation, now, LIMITS).map(sessionInfo);
}

/**
 * Ends one of `user`'s sessions at once. NOT_FOUND when `user` has no such live session, also
 * when the id is someone else's: a user learns nothing about other users' sessions.
 */
export async function endUserSession(user: string, sessionId: string): Promise<void> {
  const removed = await removeSessions((e) => e.sid === sessionId && e.user === user);
  if (removed === 0) throw new CofferError("NOT_FOUND", "no such session (it has ended already)");
}

/**
 * Ends every session of `user`, the caller's own included (log out everywhere): a new session
 * generation refuses every token issued before, listed or not, and the list forgets them.
 */
export async function endAllUserSessions(user: string): Promise<void> {
  await renewSessionGeneration(user);
  await removeSessions((e) => e.user === user);
}

/**
 * The Set-Cookie value for a session token (`secure`: the console is served over https,
 * directly or behind a TLS proxy). Without `token`, the value that clears the cookie.
 */
export function sessionCookie(token: string | undefined, opts: { secure: boolean }): string {
  const attrs = ["Path=/", "HttpOnly", "SameSite=Strict", `Max-Age=${token ? SESSION_IDLE_MS / 1000 : 0}`];
  if (opts.secure) attrs.push("Secure");
  return [`${SESSION_COOKIE}=${token ?? ""}`, ...attrs].join("; ");
}

/** The session token in a Cookie header, if any. */
export function sessionTokenFromCookie(cookieHeader: string | null | undefined): string | undefined {
  if (!cookieHeader) return undefined;
  for (const part of cookieHeader.split(";")) {
    const eq = part.indexOf("=");
    if (eq !== -1 && part.slice(0, eq).trim() === SESSION_COOKIE) {
      const value = part.slice(eq + 1).trim();
      return value === "" ? undefined : value;
    }
  }
  return undefined;
}
