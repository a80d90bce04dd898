/**
 * DataBlob framing, the envelope of every chunk file and every `.blob` (reference 1.6):
 * `magic[8] | crc32 LE[4] | payload`, encrypted variants with `iv[16] | tag[16]` before the
 * payload. The CRC (IEEE, as crc32fast) covers everything after the header.
 *
 * Coffer writes as PBS does: zstd level 1 when the frame is smaller than the data, the
 * uncompressed variant otherwise (blob-encoder.mjs). It reads uncompressed and zstd, and
 * recognises encrypted blobs without being able to open them: the key stays with the client, as
 * in PBS.
 */
import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import { Decompress, decompress as zstdDecompress } from "fzstd";
import { CofferError } from "../model/errors";
import type { CryptMode } from "../model/types";
import { encodeBlobInRoom, zstdDecompressSized, zstdLoadable } from "./blob-encoder.mjs";

/** PBS `MAX_BLOB_SIZE`. */
export const MAX_BLOB_SIZE = 128 * 1024 * 1024;
export const BLOB_HEADER_SIZE = 12;
export const ENCRYPTED_BLOB_HEADER_SIZE = 44;

/** The first 8 bytes of sha256 of a text, as PBS's `file_formats.rs` has them. */
export const UNCOMPRESSED_BLOB_MAGIC = Uint8Array.of(66, 171, 56, 7, 190, 131, 112, 161);
export const COMPRESSED_BLOB_MAGIC = Uint8Array.of(49, 185, 88, 66, 111, 182, 163, 127);
export const ENCRYPTED_BLOB_MAGIC = Uint8Array.of(123, 103, 133, 190, 34, 45, 76, 240);
export const ENCR_COMPR_BLOB_MAGIC = Uint8Array.of(230, 89, 27, 191, 11, 191, 216, 11);

export type BlobKind = "uncompressed" | "zstd" | "encrypted" | "encrypted-zstd";

/**
 * Raised for a blob Coffer cannot open because it is encrypted. Its own class so that verify can
 * tell "cannot check the content" from "the content is corrupt".
 */
export class EncryptedBlobError extends CofferError {
  constructor(kind: BlobKind) {
    super(
      "BAD_REQUEST",
      `unable to decode blob - it is encrypted (${kind}) and Coffer has no key to decrypt it; ` +
        "only the client that wrote it holds the key",
    );
    this.name = "EncryptedBlobError";
  }
}

const corrupt = (msg: string) => new CofferError("INTERNAL", msg);

function hasMagic(raw: Uint8Array, magic: Uint8Array): boolean {
  for (let i = 0; i < 8; i++) if (raw[i] !== magic[i]) return false;
  return true;
}

/** The variant of a raw blob; refuses blobs too short for their header and unknown magics. */
export function blobKind(raw: Uint8Array): BlobKind {
  if (raw.length < BLOB_HEADER_SIZE) throw corrupt(`blob too small (${raw.length} bytes).`);
  let kind: BlobKind;
  if (hasMagic(raw, UNCOMPRESSED_BLOB_MAGIC)) kind = "uncompressed";
  else if (hasMagic(raw, COMPRESSED_BLOB_MAGIC)) kind = "zstd";
  else if (hasMagic(raw, ENCRYPTED_BLOB_MAGIC)) kind = "encrypted";
  else if (hasMagic(raw, ENCR_COMPR_BLOB_MAGIC)) kind = "encrypted-zstd";
  else {
    const got = Buffer.from(raw.subarray(0, 8)).toString("hex");
    throw corrupt(`unable to parse raw blob - wrong magic (${got}): not a data blob`);
  }
  if (isEncryptedKind(kind) && raw.length < ENCRYPTED_BLOB_HEADER_SIZE) {
    throw corrupt(`encrypted blob too small (${raw.length} bytes).`);
  }
  return kind;
}

function isEncryptedKind(kind: BlobKind): boolean {
  return kind === "encrypted" || kind === "encrypted-zstd";
}

export function isEncryptedBlob(raw: Uint8Array): boolean {
  return isEncryptedKind(blobKind(raw));
}

export function isCompressedBlob(raw: Uint8Array): boolean {
  const kind = blobKind(raw);
  return kind === "zstd" || kind === "encrypted-zstd";
}

/** PBS `DataBlob::crypt_mode`: `none` or `encrypt` (sign-only is a manifest notion, not a blob's). */
export function blobCryptMode(raw: Uint8Array): Extract<CryptMode, "none" | "encrypt"> {
  return isEncryptedBlob(raw) ? "encrypt" : "none";
}

function headerSize(kind: BlobKind): number {
  return isEncryptedKind(kind) ? ENCRYPTED_BLOB_HEADER_SIZE : BLOB_HEADER_SIZE;
}

/** Checks the stored CRC against the bytes after the header. */
export function verifyBlobCrc(raw: Uint8Array): void {
  const kind = blobKind(raw);
  const stored = (raw[8]! | (raw[9]! << 8) | (raw[10]! << 16) | (raw[11]! << 24)) >>> 0;
  if (crc32(raw.subarray(headerSize(kind))) !== stored) throw corrupt("Data blob has wrong CRC checksum.");
}

const tooLarge = (n: number | string) => corrupt(`data blob too large (${n} bytes).`);

export interface EncodeOptions {
  /**
   * zstd level, default PBS's 1; 0 writes the uncompressed variant whatever the data (the
   * datastore setting `compression: "none"`).
   */
  level?: number;
}

/**
 * Frames `data` as an unencrypted DataBlob, PBS's `DataBlob::encode(data, None, true)`: zstd
 * level 1 if the frame is smaller than `data`, uncompressed otherwise. The CRC covers the stored
 * payload (the frame, for the compressed variant).
 */
export function encodeBlob(data: Uint8Array, opts: EncodeOptions = {}): Buffer {
  if (data.length > MAX_BLOB_SIZE) throw tooLarge(data.length);
  const room = new ArrayBuffer(BLOB_HEADER_SIZE + data.length);
  new Uint8Array(room, BLOB_HEADER_SIZE).set(data);
  return encodeBlobInRoom(room, opts.level);
}

/**
 * The plain payload of an unencrypted blob, after checking its CRC. For the uncompressed variant
 * the result shares memory with `raw` (chunks are 4 MiB; verify reads many), so copy before
 * changing it.
 */
export function decodeBlob(raw: Uint8Array): Buffer {
  const kind = blobKind(raw);
  const payloadLength = raw.length - headerSize(kind);
  if (kind === "uncompressed" && payloadLength > MAX_BLOB_SIZE) throw tooLarge(payloadLength);
  // A zstd payload never grows past its input by much; anything this big is not a PBS blob.
  if (payloadLength > MAX_BLOB_SIZE + 1024 * 1024) throw tooLarge(payloadLength);
  verifyBlobCrc(raw);
  if (isEncryptedKind(kind)) throw new EncryptedBlobError(kind);
  const payload = Buffer.from(raw.buffer, raw.byteOffset + BLOB_HEADER_SIZE, payloadLength);
  if (kind === "uncompressed") return payload;
  return decompressBounded(payload);
}

/**
 * zstd with a ceiling: PBS writes frames that declare their content size, which is checked
 * before anything is allocated, then decoded by the WebAssembly zstd (blob-encoder.mjs); frames
 * without one are streamed through fzstd and cut off at the limit.
 */
function decompressBounded(payload: Uint8Array): Buffer {
  try {
    const declared = zstdDeclaredSize(payload);
    if (declared !== undefined) {
      if (declared > MAX_BLOB_SIZE) throw tooLarge(declared);
      if (zstdLoadable()) return zstdDecompressSized(payload, declared);
      const out = zstdDecompress(payload);
      return Buffer.from(out.buffer, out.byteOffset, out.length);
    }
    const parts: Uint8Array[] = [];
    let total = 0;
    const stream = new Decompress((chunk) => {
      total += chunk.length;
      if (total > MAX_BLOB_SIZE) throw tooLarge(`more than ${MAX_BLOB_SIZE}`);
      parts.push(chunk);
    });
    stream.push(payload, true);
    return Buffer.concat(parts, total);
  } catch (err) {
    if (err instanceof CofferError) throw err;
    throw corrupt(`zstd decompression failed - ${(err as Error).message}`);
  }
}

const ZSTD_MAGIC = 0xfd2fb528;
const ZSTD_MAX_BLOCK = 128 * 1024;

/**
 * Walks the frame and block headers (RFC 8878) without decoding: the sum of the declared
 * content sizes, or undefined when a frame does not declare one. Refuses window sizes beyond the
 * blob limit, since the decoder allocates the window up front.
 */
function zstdDeclaredSize(data: Uint8Array): number | undefined {
  const view = new DataView(data.buffer, data.byteOffset, data.length);
  const need = (pos: number, n: number) => {
    if (pos + n > data.length) throw corrupt("zstd decompression failed - truncated frame");
  };
  let pos = 0;
  let total: number | undefined = 0;
  if (data.length === 0) throw corrupt("zstd decompression failed - empty payload");
  while (pos < data.length) {
    need(pos, 4);
    const magic = view.getUint32(pos, true);
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      need(pos, 8);
      pos += 8 + view.getUint32(pos + 4, true); // skippable frame
      continue;
    }
    if (magic !== ZSTD_MAGIC) throw corrupt("zstd decompression failed - not a zstd frame");
    need(pos, 6);
    const fhd = data[pos + 4]!;
    pos += 5;
    const fcsFlag = fhd >> 6;
    const singleSegment = (fhd >> 5) & 1;
    const hasChecksum = (fhd >> 2) & 1;
    let windowSize = 0;
    if (!singleSegment) {
      const wd = data[pos++]!;
      const base = 2 ** (10 + (wd >> 3));
      windowSize = base + (base / 8) * (wd & 7);
    }
    pos += [0, 1, 2, 4][fhd & 3]!; // dictionary id
    const fcsBytes = fcsFlag === 0 ? singleSegment : 1 << fcsFlag;
    need(pos, fcsBytes);
    let contentSize: number | undefined;
    if (fcsBytes === 1) contentSize = data[pos]!;
    else if (fcsBytes === 2) contentSize = view.getUint16(pos, true) + 256;
    else if (fcsBytes === 4) contentSize = view.getUint32(pos, true);
    else if (fcsBytes === 8) contentSize = view.getUint32(pos, true) + view.getUint32(pos + 4, true) * 2 ** 32;
    pos += fcsBytes;
    if (singleSegment) windowSize = contentSize!;
    if (windowSize > MAX_BLOB_SIZE) throw tooLarge(contentSize ?? `window ${windowSize}`);
    for (;;) {
      need(pos, 3);
      const bh = data[pos]! | (data[pos + 1]! << 8) | (data[pos + 2]! << 16);
      const type = (bh >> 1) & 3;
      const size = bh >>> 3;
      if (type === 3) throw corrupt("zstd decompression failed - reserved block type");
      if (size > ZSTD_MAX_BLOCK) throw corrupt("zstd decompression failed - block too large");
      pos += 3 + (type === 1 ? 1 : size);
      if (bh & 1) break;
    }
    pos += hasChecksum * 4;
    need(pos, 0);
    total = contentSize === undefined || total === undefined ? undefined : total + contentSize;
  }
  return total;
}

export function sha256(data: Uint8Array): Buffer {
  return createHash("sha256").update(data).digest();
}

/**
 * Decodes a chunk file and checks that its plain data hashes to the digest it is stored under
 * (unencrypted chunks: sha256 of the plain data).
 */
export function decodeChunk(raw: Uint8Array, expectedDigest: Uint8Array): Buffer {
  const expected = Buffer.from(expectedDigest).toString("hex");
  let data: Buffer;
  try {
    data = decodeBlob(raw);
  } catch (err) {
    if (err instanceof EncryptedBlobError) throw err;
    const code = err instanceof CofferError ? err.code : "INTERNAL";
    throw new CofferError(code, `chunk ${expected}: ${(err as Error).message}`, { cause: err });
  }
  const actual = sha256(data);
  if (!actual.equals(Buffer.from(expectedDigest))) {
    throw corrupt(`detected chunk with wrong digest: chunk ${expected} holds data with digest ${actual.toString("hex")}`);
  }
  return data;
}
