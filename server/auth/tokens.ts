/**
 * API tokens (PBS): `user@realm!name`, used as `Authorization: PBSAPIToken=<tokenid>:<secret>`.
 * Stored in `COFFER_HOME/etc/tokens.json`:
 *
 * ```json
 * { "tokens": [ { "tokenid": "alice@pbs!ci", "enable": true, "expire": 0, "comment": "...",
 *                 "secret": { "alg": "sha256", "hash": "<hex>" } } ] }
 * ```
 *
 * The secret is 32 random bytes (base64url), returned once by `createToken` and never stored:
 * only its SHA-256 is. A slow hash buys nothing for a secret with 256 random bits, and every API
 * request verifies one. A token acts with at most its user's privileges (acl.ts) and only while
 * both the token and its user are enabled and unexpired.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { TOKEN_NAME_REGEX, TOKEN_NAME_RULE } from "../datastore/model/credentials";
import { CofferError } from "../datastore/model/errors";
import { authIdUser, isValidAuthId } from "../datastore/model/owner";
import { printable } from "../datastore/model/names";
import { authPaths, readConfigShared, readConfigSync, withAuthLock, writeConfig } from "./auth-files";
import { isActive, isUserActive, readUsers } from "./users";

const tokenEntrySchema = z.object({
  tokenid: z.string().refine((s) => isValidAuthId(s) && s.includes("!")),
  enable: z.boolean().default(true),
  expire: z.number().int().min(0).default(0),
  comment: z.string().optional(),
  secret: z.object({ alg: z.literal("sha256"), hash: z.string().regex(/^[0-9a-f]{64}$/) }),
});

export const tokensFileSchema = z.object({ tokens: z.array(tokenEntrySchema) });

type TokenEntry = z.infer<typeof tokenEntrySchema>;
type TokensFile = z.infer<typeof tokensFileSchema>;

export interface TokenInfo {
  tokenid: string;
  enable: boolean;
  expire: number;
  comment?: string;
}

export const emptyTokens = (): TokensFile => ({ tokens: [] });

function readTokens(): TokensFile {
  return readConfigShared(authPaths.tokens(), tokensFileSchema, emptyTokens);
}

function info(t: TokenEntry): TokenInfo {
  return { tokenid: t.tokenid, enable: t.enable, expire: t.expire, ...(t.comment !== undefined ? { comment: t.comment } : {}) };
}

function digest(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}


/** Tokens of one user, or of all users; never a secret. */
export function listTokens(userid?: string): TokenInfo[] {
  return readTokens()
    .tokens.filter((t) => userid === undefined || authIdUser(t.tokenid) === userid)
    .map(info);
}

export function getToken(tokenid: string): TokenInfo | undefined {
  const t = readTokens().tokens.find((e) => e.tokenid === tokenid);
  return t && info(t);
}

/**
 * Creates `user!name` and returns its secret: the only time the secret is ever seen.
 * The user must exist; a token of the same name must not.
 */
export async function createToken(
  userid: string,
  name: string,
  opts: { expire?: number; comment?: string; enable?: boolean } = {},
): Promise<{ tokenid: string; secret: string }> {
  if (!TOKEN_NAME_REGEX.test(name)) {
    throw new CofferError("BAD_REQUEST", `invalid token name '${printable(name)}': use ${TOKEN_NAME_RULE}`);
  }
  const tokenid = `${userid}!${name}`;
  if (userid.includes("!") || !isValidAuthId(tokenid)) {
    throw new CofferError("BAD_REQUEST", `invalid token id '${printable(tokenid)}'`);
  }
  if (opts.expire !== undefined && (!Number.isInteger(opts.expire) || opts.expire < 0)) {
    throw new CofferError("BAD_REQUEST", "invalid expire: epoch seconds, 0 for never");
  }
  if (opts.comment !== undefined && (opts.comment.length > 128 || /[\u0000-\u001f\u007f]/.test(opts.comment))) {
    throw new CofferError("BAD_REQUEST", "invalid comment: at most 128 characters, no control characters");
  }
  const secret = randomBytes(32).toString("base64url");
  const entry: TokenEntry = {
    tokenid,
    enable: opts.enable ?? true,
    expire: opts.expire ?? 0,
    ...(opts.comment ? { comment: opts.comment } : {}),
    secret: { alg: "sha256", hash: digest(secret) },
  };
  await withAuthLock(async () => {
    if (!readUsers().users.some((u) => u.userid === userid)) {
      throw new CofferError("NOT_FOUND", `no such user '${userid}'`);
    }
    const current = readConfigSync(authPaths.tokens(), tokensFileSchema, emptyTokens, { fresh: true });
    if (current.tokens.some((t) => t.tokenid === tokenid)) {
      throw new CofferError("CONFLICT", `API token '${tokenid}' already exists`);
    }
    const tokens = [...current.tokens, entry].sort((a, b) => (a.tokenid < b.tokenid ? -1 : a.tokenid > b.tokenid ? 1 : 0));
    await writeConfig(authPaths.tokens(), tokensFileSchema, { tokens });
  });
  return { tokenid, secret };
}

/** Changes enable / expire / comment of a token; the secret stays. */
export async function updateToken(tokenid: string, opts: { enable?: boolean; expire?: number; comment?: string }): Promise<TokenInfo> {
  let updated: TokenEntry | undefined;
  await withAuthLock(async () => {
    const current = readConfigSync(authPaths.tokens(), tokensFileSchema, emptyTokens, { fresh: true });
    const t = current.tokens.find((e) => e.tokenid === tokenid);
    if (!t) throw new CofferError("NOT_FOUND", `no such API token '${tokenid}'`);
    if (opts.enable !== undefined) t.enable = opts.enable;
    if (opts.expire !== undefined) t.expire = opts.expire;
    if (opts.comment !== undefined) {
      if (opts.comment === "") delete t.comment;
      else t.comment = opts.comment;
    }
    updated = t;
    await writeConfig(authPaths.tokens(), tokensFileSchema, current);
  });
  return info(updated!);
}


/** For deleteUser (accounts.ts), which holds the auth lock already. */
export async function removeTokensOfUserLocked(userid: string): Promise<void> {
  const current = readConfigSync(authPaths.tokens(), tokensFileSchema, emptyTokens, { fresh: true });
  const kept = current.tokens.filter((t) => authIdUser(t.tokenid) !== userid);
  if (kept.length !== current.tokens.length) await writeConfig(authPaths.tokens(), tokensFileSchema, { tokens: kept });
}

/**
 * Splits `PBSAPIToken=<tokenid>:<secret>` (or `PBSAPIToken <tokenid>:<secret>`) into its parts;
 * undefined when the header is not a PBS token header at all. Auth ids contain no `:`, so the
 * first `:` ends the token id.
 */
export function parseTokenHeader(header: string): { tokenid: string; secret: string } | undefined {
  const m = /^PBSAPIToken[= ]\s*([^:\s]+):(\S+)\s*$/.exec(header.trim());
  if (!m) return undefined;
  return { tokenid: m[1]!, secret: m[2]! };
}

const authFailed = () => new CofferError("UNAUTHORIZED", "authentication failed - invalid API token");

/**
 * Verifies an Authorization header value and returns the token's auth id. Throws UNAUTHORIZED:
 * unknown token and wrong secret read the same (PBS does not tell them apart either); a
 * disabled or expired token or user is named, but only once the secret matched.
 */
export function verifyTokenHeader(header: string, nowMs = Date.now()): { authId: string } {
  const parsed = parseTokenHeader(header);
  if (!parsed || !isValidAuthId(parsed.tokenid) || !parsed.tokenid.includes("!")) throw authFailed();
  const entry = readTokens().tokens.find((t) => t.tokenid === parsed.tokenid);
  const expected = Buffer.from(entry?.secret.hash ?? "0".repeat(64), "hex");
  const actual = Buffer.from(digest(parsed.secret), "hex");
  if (!timingSafeEqual(expected, actual) || !entry) throw authFailed();
  if (!isActive(entry, Math.floor(nowMs / 1000))) {
    throw new CofferError("UNAUTHORIZED", "authentication failed - API token disabled or expired");
  }
  if (!isUserActive(authIdUser(entry.tokenid), nowMs)) {
    throw new CofferError("UNAUTHORIZED", "authentication failed - user account disabled or expired");
  }
  return { authId: entry.tokenid };
}

/**
 * PBS `is_active_auth_id`: a user that exists and is active, or a token that exists, is active
 * and belongs to an active user. Throws BAD_REQUEST with PBS's text otherwise (change owner).
 */
export function checkActiveAuthId(authId: string, nowMs = Date.now()): string {
  const isToken = authId.includes("!");
  const entry = isToken ? readTokens().tokens.find((t) => t.tokenid === authId) : undefined;
  const active = isToken
    ? entry !== undefined && isActive(entry, Math.floor(nowMs / 1000)) && isUserActive(authIdUser(authId), nowMs)
    : isUserActive(authId, nowMs);
  if (!active) throw new CofferError("BAD_REQUEST", `${isToken ? "API token" : "user"} '${printable(authId)}' is inactive or non-existent`);
  return authId;
}
