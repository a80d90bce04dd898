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
 * Cookie (for the route handler, see `sessionCookie`): `CofferAuthCookie=<token>; Path=/;
 * HttpOnly; SameSite=Strict; Max-Age=7200`, plus `Secure` when the console is served over
 * https. SameSite=Strict keeps the browser from sending it with cross-site requests; the
 * same-origin check (csrf.ts) is the second line.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { CofferError } from "../datastore/model/errors";
import { isValidAuthId } from "../datastore/model/owner";
import { authPaths, readConfigSync, withAuthLock, writeConfig } from "./auth-files";
import { sessionGeneration } from "./users";

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

function readKey(): Buffer | undefined {
  const file = readConfigSync(authPaths.sessionKey(), keyFileSchema.optional(), noKey);
  return file && Buffer.from(file.key, "base64url");
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

/** The signed payload, or undefined when the token is malformed or its signature is wrong. */
function decode(token: string): Payload | undefined {
  const key = readKey();
  const parts = token.split(".");
  if (!key || parts.length !== 3 || parts[0] !== "v1") return undefined;
  const body = `${parts[0]}.${parts[1]}`;
  const expected = Buffer.from(sign(key, body), "base64url");
  const actual = Buffer.from(parts[2]!, "base64url");
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return undefined;
  try {
    const parsed = payloadSchema.safeParse(JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8")));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function readRevoked(options: { fresh?: boolean } = {}): RevokedFile {
  return readConfigSync(authPaths.revokedSessions(), revokedFileSchema, () => ({ revoked: [] }), options);
}

/** Starts a session for a user (not a token: tokens authenticate every request themselves). */
export async function createSession(authId: string, opts: ClockOptions = {}): Promise<string> {
  if (!isValidAuthId(authId) || authId.includes("!")) {
    throw new CofferError("BAD_REQUEST", "sessions are for users, not API tokens");
  }
  const now = opts.now ?? Date.now();
  const generation = sessionGeneration(authId, now);
  if (generation === undefined) throw new CofferError("UNAUTHORIZED", "authentication failed - user account disabled or expired");
  const key = await ensureKey();
  return encode(key, { u: authId, g: generation, s: randomBytes(16).toString("base64url"), c: now, r: now });
}

export interface VerifiedSession {
  authId: string;
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
  if (readRevoked().revoked.some((e) => e.sid === p.s)) throw expired();
  const generation = sessionGeneration(p.u, now);
  if (generation === undefined) {
    throw new CofferError("UNAUTHORIZED", "authentication failed - user account disabled or expired");
  }
  // A password change, a disable or a delete-and-recreate since login: this session is over.
  if (generation !== p.g) throw expired();
  if (now - p.r < SESSION_RENEW_AFTER_MS) {
    return { authId: p.u, expiresAt: Math.min(p.r + SESSION_IDLE_MS, absoluteEnd) };
  }
  const renewedToken = encode(readKey()!, { ...p, r: now });
  return { authId: p.u, renewedToken, expiresAt: Math.min(now + SESSION_IDLE_MS, absoluteEnd) };
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
    const current = readRevoked({ fresh: true });
    const revoked = current.revoked.filter((e) => e.until > now && e.sid !== p.s);
    revoked.push({ sid: p.s, until: p.c + SESSION_MAX_MS });
    await writeConfig(authPaths.revokedSessions(), revokedFileSchema, { revoked });
  });
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
