/**
 * The snapshot manifest `index.json.blob` (reference 2): a DataBlob holding kebab-case JSON.
 * Everything but `unprotected` and `signature` is protected: a client with a key signs it with
 * HMAC-SHA256 over canonical JSON, so the server may only ever change `unprotected`.
 */
import { createHmac, pbkdf2Sync, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { CofferError, errorMessage } from "../model/errors";
import { archiveType, BACKUP_TYPES, type BackupType } from "../model/names";
import type { CryptMode, VerifyState } from "../model/types";
import { decodeBlob, encodeBlob } from "./blob";

export const MANIFEST_BLOB_NAME = "index.json.blob";
export const MANIFEST_LOCK_NAME = ".index.json.lck";
export const CLIENT_LOG_BLOB_NAME = "client.log.blob";
export const ENCRYPTED_KEY_BLOB_NAME = "rsa-encrypted.key.blob";

export interface ManifestFile {
  filename: string;
  "crypt-mode": CryptMode;
  /** Index files: the logical archive size; blobs: the raw file length. */
  size: number;
  /** 64 lowercase hex characters. */
  csum: string;
}

export interface BackupManifest {
  "backup-type": BackupType;
  "backup-id": string;
  /** Epoch seconds. */
  "backup-time": number;
  files: ManifestFile[];
  unprotected: Record<string, unknown>;
  /** Hex HMAC over the protected part, or null when unsigned. Always serialised. */
  signature: string | null;
}

const fileSchema = z.object({
  filename: z.string(),
  // Manifests from before PBS 0.8 have no crypt mode.
  "crypt-mode": z.enum(["none", "encrypt", "sign-only"]).default("none"),
  size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  csum: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, "expected 64 hex characters")
    .transform((s) => s.toLowerCase()),
});

/** Unknown top-level keys are dropped, as serde does when it reads the struct. */
export const manifestSchema = z.object({
  "backup-type": z.enum(BACKUP_TYPES),
  "backup-id": z.string(),
  "backup-time": z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER),
  files: z.array(fileSchema),
  // serde: a missing `unprotected` is `{}`; a null one becomes an object on first write.
  unprotected: z
    .record(z.string(), z.unknown())
    .nullish()
    .transform((v) => v ?? {}),
  signature: z
    .string()
    .nullish()
    .transform((v) => v ?? null),
});

const corrupt = (msg: string, cause?: unknown) => new CofferError("INTERNAL", msg, { cause });

export function newManifest(snapshot: { type: BackupType; id: string; time: number }): BackupManifest {
  return {
    "backup-type": snapshot.type,
    "backup-id": snapshot.id,
    "backup-time": snapshot.time,
    files: [],
    unprotected: {},
    signature: null,
  };
}

/** PBS `add_file`: the name must have an archive extension (`unknown archive type: ...`). */
export function addManifestFile(
  m: BackupManifest,
  filename: string,
  size: number,
  csum: string | Uint8Array,
  cryptMode: CryptMode = "none",
): void {
  archiveType(filename);
  m.files.push({ filename, "crypt-mode": cryptMode, size, csum: csumHex(csum) });
}

function csumHex(csum: string | Uint8Array): string {
  return typeof csum === "string" ? csum.toLowerCase() : Buffer.from(csum).toString("hex");
}

/** Reads a manifest from its raw blob, with PBS's error texts. */
export function parseManifest(rawBlob: Uint8Array): BackupManifest {
  let data: Buffer;
  try {
    data = decodeBlob(rawBlob);
  } catch (err) {
    throw corrupt(`decode backup manifest blob failed - ${errorMessage(err)}`, err);
  }
  return parseManifestJson(data);
}

export function parseManifestJson(json: Uint8Array | string): BackupManifest {
  let value: unknown;
  try {
    value = JSON.parse(typeof json === "string" ? json : Buffer.from(json).toString("utf8"));
  } catch (err) {
    throw corrupt(`unable to parse backup manifest json - ${errorMessage(err)}`, err);
  }
  const parsed = manifestSchema.safeParse(value);
  if (!parsed.success) {
    const detail = parsed.error.issues
      .map((i) => `${i.path.length ? i.path.join(".") : "manifest"}: ${i.message}`)
      .join("; ");
    throw corrupt(`unable to parse backup manifest json - ${detail}`, parsed.error);
  }
  return parsed.data;
}

/** Plain JSON value with the struct's keys (what serde_json::to_value yields). */
function toValue(m: BackupManifest): Record<string, unknown> {
  return {
    "backup-type": m["backup-type"],
    "backup-id": m["backup-id"],
    "backup-time": m["backup-time"],
    files: m.files.map((f) => ({ filename: f.filename, "crypt-mode": f["crypt-mode"], size: f.size, csum: f.csum })),
    unprotected: m.unprotected,
    signature: m.signature,
  };
}

function sortKeysDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeysDeep);
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeysDeep(x);
    }
    return out;
  }
  return v;
}

/**
 * `serde_json::to_string_pretty(&to_value(manifest))`: two-space indent, and keys sorted because
 * serde_json's `Value` map (without `preserve_order`, as PBS builds it) is a BTreeMap.
 */
export function manifestToJson(m: BackupManifest): string {
  return JSON.stringify(sortKeysDeep(toValue(m)), null, 2);
}

/** The manifest as PBS writes it: pretty JSON in an unencrypted DataBlob, zstd when smaller. */
export function serializeManifest(m: BackupManifest): Buffer {
  return encodeBlob(Buffer.from(manifestToJson(m), "utf8"));
}

/** proxmox_serde `to_canonical_json`: keys sorted, no whitespace. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    const parts = Object.keys(obj)
      .sort()
      .filter((k) => obj[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`);
    return `{${parts.join(",")}}`;
  }
  if (typeof value === "number" && !Number.isFinite(value)) throw new CofferError("BAD_REQUEST", "number not allowed in JSON");
  return JSON.stringify(value);
}

/** Canonical JSON of the protected part: the manifest without `unprotected` and `signature`. */
export function canonicalProtectedJson(m: BackupManifest): string {
  const { unprotected: _u, signature: _s, ...signed } = toValue(m);
  return canonicalJson(signed);
}

/**
 * PBS `CryptConfig::new`: the HMAC key is derived from the 32-byte encryption key with
 * PBKDF2-HMAC-SHA256, salt `_id_key`, 10 iterations.
 */
export function cryptIdKey(encKey: Uint8Array): Buffer {
  return pbkdf2Sync(encKey, "_id_key", 10, 32, "sha256");
}

/** Signature a client holding `encKey` (the raw key of its key file) writes into `signature`. */
export function manifestSignature(m: BackupManifest, encKey: Uint8Array): string {
  return createHmac("sha256", cryptIdKey(encKey)).update(canonicalProtectedJson(m)).digest("hex");
}

export function verifyManifestSignature(m: BackupManifest, encKey: Uint8Array): void {
  const expected = Buffer.from(manifestSignature(m, encKey), "hex");
  const actual = Buffer.from(m.signature ?? "", "hex");
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw new CofferError("BAD_REQUEST", "wrong signature in manifest");
  }
}

/** PBS `lookup_file_info`. */
export function manifestFile(m: BackupManifest, name: string): ManifestFile {
  const info = m.files.find((f) => f.filename === name);
  if (!info) throw new CofferError("NOT_FOUND", `manifest does not contain file '${name}'`);
  return info;
}

/** PBS `verify_file`: `expected` in the size message is the manifest's, `actual` the caller's. */
export function verifyManifestFile(m: BackupManifest, name: string, size: number, csum: string | Uint8Array): void {
  const info = manifestFile(m, name);
  if (size !== info.size) throw corrupt(`wrong size for file '${name}' (${info.size} != ${size})`);
  if (csumHex(csum) !== info.csum) throw corrupt(`wrong checksum for file '${name}'`);
}

export function manifestNotes(m: BackupManifest): string | undefined {
  const notes = m.unprotected.notes;
  return typeof notes === "string" ? notes : undefined;
}

/** The API's snapshot "comment": the first line of the notes. */
export function manifestComment(m: BackupManifest): string | undefined {
  return manifestNotes(m)?.split("\n", 1)[0];
}

export function setManifestNotes(m: BackupManifest, notes: string): void {
  m.unprotected.notes = notes;
}

const verifyStateSchema = z.object({ state: z.enum(["ok", "failed"]), upid: z.string() });

/** `unprotected.verify_state`, or undefined when missing or unreadable (PBS then re-verifies). */
export function manifestVerifyState(m: BackupManifest): VerifyState | undefined {
  const parsed = verifyStateSchema.safeParse(m.unprotected.verify_state);
  return parsed.success ? parsed.data : undefined;
}

export function setManifestVerifyState(m: BackupManifest, state: VerifyState): void {
  m.unprotected.verify_state = { state: state.state, upid: state.upid };
}
