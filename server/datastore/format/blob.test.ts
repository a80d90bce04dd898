import { randomBytes } from "node:crypto";
import { crc32 } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BLOB_HEADER_SIZE,
  COMPRESSED_BLOB_MAGIC,
  ENCR_COMPR_BLOB_MAGIC,
  ENCRYPTED_BLOB_MAGIC,
  EncryptedBlobError,
  MAX_BLOB_SIZE,
  blobCryptMode,
  blobKind,
  decodeBlob,
  decodeChunk,
  encodeBlob,
  sha256,
  verifyBlobCrc,
} from "./blob";

/**
 * Frames a payload the way PBS does, for variants Coffer does not write itself. The CRC covers
 * only what follows the whole header, so an encrypted blob's iv and tag are outside it.
 */
function frame(magic: Uint8Array, payload: Uint8Array, ivAndTag: Uint8Array = new Uint8Array(0)): Buffer {
  const out = Buffer.alloc(12 + ivAndTag.length + payload.length);
  out.set(magic, 0);
  out.writeUInt32LE(crc32(payload), 8);
  out.set(ivAndTag, 12);
  out.set(payload, 12 + ivAndTag.length);
  return out;
}

// Fixtures made once with the zstd 1.5 CLI (`zstd -1`), so the tests need no CLI at run time.
const TEXT = "Coffer reads zstd blobs written by PBS. ".repeat(3).trimEnd() + "\n";
/** `zstd -1 z.txt`: a frame that declares its content size (as PBS's one-shot compress does). */
const TEXT_ZST = "KLUv/SR4jQEAlAJDb2ZmZXIgcmVhZHMgenN0ZCBibG9icyB3cml0dGVuIGJ5IFBCUy4gCgEA4IWqMlIzak4=";
/** `zstd -1 --no-content-size`: same data, streamed frame without a content size. */
const TEXT_ZST_STREAMED = "KLUv/QRIjQEAlAJDb2ZmZXIgcmVhZHMgenN0ZCBibG9icyB3cml0dGVuIGJ5IFBCUy4gCgEA4IWqMlIzak4=";
/** `head -c 1048576 /dev/zero | zstd -1`: 1 MiB of zeros from stdin (no content size). */
const ZEROS_ZST = "KLUv/QRIVAAAEAAAAQD7/znAAgIAEAACABAAAgAQAAIAEAACABAAAgAQAAMAEADxPhbh";
/** `zstd -1` of `words()`: Huffman literals and FSE sequences, not just raw blocks. */
const WORDS_ZST =
  "KLUv/WT1B+UOADQDaW5kZXggYmV0YSBkZWxnYW1tY2h1bmtsb2Igc3RvcmVhbHBoYmxvYmJsb2IgZ2FtbWEggUeowUfJcFGEFCWv" +
  "6REgMC2JDDFI2gwQTOMoBkv8R2WKJymW2ZePsbs8iPkxS6WMMZAQmAV5zcpQRW8jDtbwaX9Q9x/Etwa48PLlYPUJE2TbgqkcesNH" +
  "lukBoigZCtAvOKeCexuh2q3L5lZHVG0Xg2qhAHL3MDP6DhpYeYTl+JggjJkCRnpMgU+C7PBvAWVeXAqS+ANzwLLO+Z8h9VYAZ6RL" +
  "x6S+CF00AsVWodN+XynZriJm/7tMHoKNfoe52y98rwzI93IVIQKUI/iRXfWZmWXR0tKvCXBK6clcI58Nos0rwfZ+B2VQxl3WB9yl" +
  "UpnUEOHzS7Bn8SP2x7NaAYG5fFXGcg+qADsTs8YEZphqCeCEVktDgfOqdXOM1bR5XuFIqR2ccBiErkyl0t3H1zaT0MbijYNKMYDg" +
  "6BKcUVoXFUCMeT1Q4gGLuMWeVoqWp1WcgAAytzcn0/uOL1Uv7LBM4GVNUGAbkL5BTKwWPRoU6daDua9mH+E3wqEtIVUV7QhBzWmt" +
  "Sw//JIZUT0Zw9gZbDcCwlkWw9fjVSiq2oZSV1E4t72nUMO0fmJFMiw==";

function words(): Buffer {
  const w = ["alpha", "beta", "gamma", "delta", "chunk", "blob", "index", "store"];
  let s = "";
  let x = 1;
  for (let i = 0; i < 400; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    s += `${w[(x >>> 16) % 8]} `;
  }
  return Buffer.from(s);
}

/** A hand-built zstd frame of RLE blocks (RFC 8878 3.1.1), optionally declaring its size. */
function rleFrame(byte: number, blockSizes: number[], declared?: number): Buffer {
  const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd])];
  if (declared === undefined) {
    parts.push(Buffer.from([0x00, 0x58])); // no content size, window 2^(10+11) = 2 MiB
  } else {
    const fcs = Buffer.alloc(8);
    fcs.writeBigUInt64LE(BigInt(declared));
    parts.push(Buffer.from([0xe0]), fcs); // 8-byte content size, single segment
  }
  blockSizes.forEach((size, i) => {
    const bh = (size << 3) | (1 << 1) | (i === blockSizes.length - 1 ? 1 : 0);
    parts.push(Buffer.from([bh & 0xff, (bh >> 8) & 0xff, (bh >> 16) & 0xff, byte]));
  });
  return Buffer.concat(parts);
}

describe("encodeBlob / decodeBlob", () => {
  it("round-trips any payload, compressed exactly when the frame is smaller than the data", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 4096 }), fc.uint8Array({ maxLength: 64, minLength: 1 }).map((u) => Buffer.from(u).toString("hex").repeat(50))),
        (input) => {
          const data = typeof input === "string" ? Buffer.from(input) : input;
          const raw = encodeBlob(data);
          const plain = encodeBlob(data, { level: 0 });
          expect(blobKind(plain)).toBe("uncompressed");
          if (blobKind(raw) === "zstd") expect(raw.length).toBeLessThan(plain.length);
          else expect(raw.equals(plain)).toBe(true);
          expect(Buffer.from(decodeBlob(raw)).equals(Buffer.from(data))).toBe(true);
        },
      ),
    );
  });

  it("compresses repetitive data with zstd and checks the CRC over the stored frame", () => {
    const data = Buffer.from("a log line that repeats, as logs do\n".repeat(2000));
    const raw = encodeBlob(data);
    expect(blobKind(raw)).toBe("zstd");
    expect([...raw.subarray(0, 8)]).toEqual([49, 185, 88, 66, 111, 182, 163, 127]);
    expect(raw.length).toBeLessThan(data.length / 20);
    expect(raw.readUInt32LE(8)).toBe(crc32(raw.subarray(12)));
    // The frame declares its content size, as PBS's one-shot compress writes it (RFC 8878 FHD).
    expect(raw.readUInt32LE(12)).toBe(0xfd2fb528);
    expect(raw[16]! >> 6).not.toBe(0);
    expect(decodeBlob(raw).equals(data)).toBe(true);
  });

  it("stores data whose frame would not be smaller uncompressed (random bytes, one byte, nothing)", () => {
    const random = randomBytes(65536);
    for (const data of [random, Buffer.from("x"), Buffer.alloc(0)]) {
      const raw = encodeBlob(data);
      expect(blobKind(raw)).toBe("uncompressed");
      expect(raw.length).toBe(BLOB_HEADER_SIZE + data.length);
      expect(decodeBlob(raw).equals(data)).toBe(true);
    }
  });

  it("writes PBS's layout: magic, crc32 LE of the payload, payload", () => {
    const raw = encodeBlob(Buffer.from("abc"));
    expect(blobKind(raw)).toBe("uncompressed");
    expect([...raw.subarray(0, 8)]).toEqual([66, 171, 56, 7, 190, 131, 112, 161]);
    expect(raw.readUInt32LE(8)).toBe(0x352441c2); // crc32("abc")
    expect(raw.subarray(12).toString()).toBe("abc");
  });

  it("detects a flipped bit anywhere in the payload or the stored CRC", () => {
    const raw = encodeBlob(Buffer.from("some chunk data to protect"));
    for (const pos of [8, 11, 12, 20, raw.length - 1]) {
      const bad = Buffer.from(raw);
      bad[pos]! ^= 0x10;
      expect(() => decodeBlob(bad)).toThrow("Data blob has wrong CRC checksum.");
    }
    expect(() => verifyBlobCrc(raw)).not.toThrow();
  });

  it("refuses to encode or decode more than 128 MiB", () => {
    const big = Buffer.alloc(MAX_BLOB_SIZE + 1);
    expect(() => encodeBlob(big)).toThrow(`data blob too large (${MAX_BLOB_SIZE + 1} bytes).`);
    const raw = Buffer.alloc(BLOB_HEADER_SIZE + MAX_BLOB_SIZE + 1);
    raw.set(encodeBlob(new Uint8Array(0)).subarray(0, 8));
    expect(() => decodeBlob(raw)).toThrow(`data blob too large (${MAX_BLOB_SIZE + 1} bytes).`);
  });

  it("names unknown magic numbers and short input", () => {
    expect(() => decodeBlob(Buffer.from("not a blob at all"))).toThrow(/wrong magic \(6e6f74206120626c\)/);
    expect(() => decodeBlob(Buffer.alloc(5))).toThrow("blob too small (5 bytes).");
  });
});

describe("zstd blobs", () => {
  it("decodes a zstd -1 frame that declares its size", () => {
    const raw = frame(COMPRESSED_BLOB_MAGIC, Buffer.from(TEXT_ZST, "base64"));
    expect(blobKind(raw)).toBe("zstd");
    expect(decodeBlob(raw).toString()).toBe(TEXT);
  });

  it("decodes streamed frames without a declared size", () => {
    expect(decodeBlob(frame(COMPRESSED_BLOB_MAGIC, Buffer.from(TEXT_ZST_STREAMED, "base64"))).toString()).toBe(TEXT);
    const zeros = decodeBlob(frame(COMPRESSED_BLOB_MAGIC, Buffer.from(ZEROS_ZST, "base64")));
    expect(zeros.length).toBe(1024 * 1024);
    expect(zeros.every((b) => b === 0)).toBe(true);
  });

  it("decodes Huffman and FSE coded blocks to the exact bytes", () => {
    const data = decodeBlob(frame(COMPRESSED_BLOB_MAGIC, Buffer.from(WORDS_ZST, "base64")));
    expect(data.equals(words())).toBe(true);
    expect(sha256(data).toString("hex")).toBe("e263eb84e5afb4b456218f3a35089de2e9dd70e94e7ed98d5fb9be1ad90ec37e");
  });

  it("decodes hand-built RLE frames with and without a declared size", () => {
    const a = decodeBlob(frame(COMPRESSED_BLOB_MAGIC, rleFrame(0x61, [3, 4], 7)));
    expect(a.toString()).toBe("aaaaaaa");
    const b = decodeBlob(frame(COMPRESSED_BLOB_MAGIC, rleFrame(0x62, [5])));
    expect(b.toString()).toBe("bbbbb");
  });

  it("checks the CRC of compressed blobs too", () => {
    const raw = frame(COMPRESSED_BLOB_MAGIC, Buffer.from(TEXT_ZST, "base64"));
    raw[raw.length - 3]! ^= 1;
    expect(() => decodeBlob(raw)).toThrow("Data blob has wrong CRC checksum.");
  });

  it("refuses a frame declaring more than 128 MiB before allocating it", () => {
    const declared = 200 * 1024 * 1024;
    const raw = frame(COMPRESSED_BLOB_MAGIC, rleFrame(0, [1], declared));
    expect(() => decodeBlob(raw)).toThrow(`data blob too large (${declared} bytes).`);
  });

  it("cuts off an undeclared frame that inflates past 128 MiB", () => {
    const blocks = Array.from({ length: MAX_BLOB_SIZE / (128 * 1024) + 1 }, () => 128 * 1024);
    const raw = frame(COMPRESSED_BLOB_MAGIC, rleFrame(0, blocks));
    expect(raw.length).toBeLessThan(8 * 1024);
    expect(() => decodeBlob(raw)).toThrow(/data blob too large \(more than 134217728 bytes\)/);
  });

  it("reports truncated and garbled zstd payloads as corrupt", () => {
    const z = Buffer.from(TEXT_ZST, "base64");
    expect(() => decodeBlob(frame(COMPRESSED_BLOB_MAGIC, z.subarray(0, 20)))).toThrow(/zstd decompression failed/);
    expect(() => decodeBlob(frame(COMPRESSED_BLOB_MAGIC, Buffer.from("plain text")))).toThrow(
      /zstd decompression failed - not a zstd frame/,
    );
  });
});

describe("encrypted blobs", () => {
  const iv = Buffer.alloc(16, 7);
  const tag = Buffer.alloc(16, 9);
  const encrypted = frame(ENCRYPTED_BLOB_MAGIC, Buffer.from("ciphertext"), Buffer.concat([iv, tag]));
  const encryptedZstd = frame(ENCR_COMPR_BLOB_MAGIC, Buffer.from("ciphertext"), Buffer.concat([iv, tag]));

  it("recognises both encrypted variants and says Coffer cannot decrypt them", () => {
    expect(blobKind(encrypted)).toBe("encrypted");
    expect(blobKind(encryptedZstd)).toBe("encrypted-zstd");
    expect(blobCryptMode(encrypted)).toBe("encrypt");
    expect(blobCryptMode(encodeBlob(Buffer.from("x")))).toBe("none");
    for (const raw of [encrypted, encryptedZstd]) {
      expect(() => decodeBlob(raw)).toThrow(EncryptedBlobError);
      expect(() => decodeBlob(raw)).toThrow(/is encrypted .* Coffer has no key to decrypt it/);
    }
  });

  it("checks the CRC over the ciphertext, which starts after the 44-byte header", () => {
    expect(() => verifyBlobCrc(encrypted)).not.toThrow();
    const bad = Buffer.from(encrypted);
    bad[44]! ^= 1;
    expect(() => decodeBlob(bad)).toThrow("Data blob has wrong CRC checksum.");
  });

  it("refuses an encrypted blob shorter than its 44-byte header", () => {
    expect(() => blobKind(frame(ENCRYPTED_BLOB_MAGIC, Buffer.alloc(4)))).toThrow("encrypted blob too small (16 bytes).");
  });
});

describe("decodeChunk", () => {
  const data = Buffer.from("chunk payload");
  const digest = sha256(data);

  it("returns the data when it hashes to the digest", () => {
    expect(decodeChunk(encodeBlob(data), digest).equals(data)).toBe(true);
  });

  it("names the expected digest when the data does not match it", () => {
    const other = sha256(Buffer.from("other"));
    expect(() => decodeChunk(encodeBlob(data), other)).toThrow(
      new RegExp(`chunk ${other.toString("hex")} holds data with digest ${digest.toString("hex")}`),
    );
  });

  it("names the digest of a chunk whose CRC is wrong", () => {
    const raw = encodeBlob(data);
    raw[raw.length - 1]! ^= 1;
    expect(() => decodeChunk(raw, digest)).toThrow(`chunk ${digest.toString("hex")}: Data blob has wrong CRC checksum.`);
  });
});
