/**
 * Password hashes: scrypt (node:crypto) with a random salt. The parameters (N, r, p, key
 * length) and the salt are stored with every hash, so raising the cost later leaves existing
 * hashes verifiable. Comparison is constant-time.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { CofferError } from "../datastore/model/errors";
import { hashPool } from "./hash-pool";

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  N: number;
  r: number;
  p: number;
  /** Derived key length in bytes. */
  keylen: number;
}

/**
 * One of OWASP's recommended scrypt settings (N=2^15, r=8, p=3): 32 MiB of memory, a few hundred
 * ms per hash here. Only logins pay it (API token secrets are random and hashed with SHA-256,
 * see tokens.ts); logins are throttled besides (login-throttle.ts).
 */
export const DEFAULT_SCRYPT: ScryptParams = { N: 1 << 15, r: 8, p: 3, keylen: 32 };
const SALT_BYTES = 16;

export const passwordHashSchema = z.object({
  alg: z.literal("scrypt"),
  N: z.number().int().min(2).refine((n) => (n & (n - 1)) === 0, "N must be a power of two"),
  r: z.number().int().min(1).max(64),
  p: z.number().int().min(1).max(16),
  keylen: z.number().int().min(16).max(128),
  /** base64 */
  salt: z.string().min(1),
  /** base64 */
  hash: z.string().min(1),
});

export type PasswordHash = z.infer<typeof passwordHashSchema>;

/** PBS PASSWORD_SCHEMA: 5 to 64 characters. */
export const passwordSchema = z.string().min(5, "password too short (at least 5 characters)").max(64, "password too long (at most 64 characters)");

export function checkPassword(password: string): string {
  const result = passwordSchema.safeParse(password);
  if (!result.success) throw new CofferError("BAD_REQUEST", result.error.issues[0]!.message);
  return password;
}

/**
 * The scrypt key, computed in the password hashing pool (hash-pool.ts), never on the thread
 * pool that file reads wait for. Rejects with HashPoolBusyError when too many hashes wait.
 */
function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  return hashPool.scrypt({
    password: password.normalize("NFC"),
    salt,
    keylen: params.keylen,
    N: params.N,
    r: params.r,
    p: params.p,
    // Node refuses more than 32 MiB by default; scrypt needs 128 * N * r bytes plus a little.
    maxmem: 128 * params.N * params.r * 2 + 1024 * 1024,
  });
}

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<PasswordHash> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params);
  return { alg: "scrypt", ...params, salt: salt.toString("base64"), hash: key.toString("base64") };
}

export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  const expected = Buffer.from(stored.hash, "base64");
  const key = await derive(password, Buffer.from(stored.salt, "base64"), stored);
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/**
 * A hash no password matches, verified for unknown users so that a login for a user who does
 * not exist takes as long as one with a wrong password.
 */
let dummy: Promise<PasswordHash> | undefined;
export function dummyHash(): Promise<PasswordHash> {
  dummy ??= hashPassword(randomBytes(24).toString("base64"));
  return dummy;
}

/** A generated password: 24 characters of base64url (144 random bits). */
export function generatePassword(): string {
  return randomBytes(18).toString("base64url");
}
