// One hashing thread of the verify pool (verify-pool.ts): reads chunk files, checks their
// DataBlob framing and CRC, and compares the sha256 of the plain data with the digest they are
// stored under (PBS `load_chunk` + `verify_unencrypted`, reference pbs-engine.md 1.6, 9.1). It
// only reads; renaming corrupt chunks, the caches and the log stay with the main thread.
//
// Plain JavaScript on purpose. Worker threads do not inherit the parent's tsx loader (reference
// stack-probe.md 8), and registering tsx in a thread costs about 250 ms, a third of the whole
// verify of a 1 GiB store here. The hot path needs nothing from the TypeScript engine: the
// uncompressed variant (what Coffer writes) and the encrypted ones are framing, CRC and sha256.
// Only zstd chunks (PBS's usual) go through format/blob.ts, whose bounded decoder is loaded with
// tsx the first time one shows up (in the CLI bundle, dist/cli/verify-worker.mjs, it is compiled in). verify.test.ts checks this file against blob.ts variant by
// variant, so the two cannot drift apart silently.
import { createHash } from "node:crypto";
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { parentPort, threadId } from "node:worker_threads";
import { crc32 } from "node:zlib";

/** @typedef {import("./verify-pool").ChunkJob} ChunkJob */
/** @typedef {import("./verify-pool").ChunkOutcome} ChunkOutcome */

// format/blob.ts: magics, header sizes, size limit.
const UNCOMPRESSED = Buffer.from([66, 171, 56, 7, 190, 131, 112, 161]);
const ZSTD = Buffer.from([49, 185, 88, 66, 111, 182, 163, 127]);
const ENCRYPTED = Buffer.from([123, 103, 133, 190, 34, 45, 76, 240]);
const ENCRYPTED_ZSTD = Buffer.from([230, 89, 27, 191, 11, 191, 216, 11]);
const HEADER = 12;
const ENCRYPTED_HEADER = 44;
const MAX_BLOB_SIZE = 128 * 1024 * 1024;
/** Largest chunk file read: a maximal payload plus room for a zstd frame's overhead. */
const MAX_CHUNK_FILE = MAX_BLOB_SIZE + 1024 * 1024 + ENCRYPTED_HEADER;

/**
 * Uncompressed chunks are read in pieces of this size, each CRC'd and hashed while it is still
 * in the CPU cache. Reading a whole 4 MiB chunk first and then making two more passes over it
 * was memory-bound: with two threads it ran at about 60 % of the streamed speed here.
 */
const PIECE_SIZE = 512 * 1024;
const piece = Buffer.allocUnsafe(PIECE_SIZE);
/** Whole-file buffer for the other variants, grown on demand and reused (no garbage per chunk). */
let whole = Buffer.allocUnsafe(4 * 1024 * 1024 + 64);

const q = (s) => JSON.stringify(s);

function describeIoError(err) {
  if (err?.code === "ENOENT") return "No such file or directory (os error 2)";
  if (err?.code === "EACCES") return "Permission denied (os error 13)";
  return err instanceof Error ? err.message : String(err);
}

/** Reads `length` bytes at `pos` into `buf`; short only at the end of the file. */
function readAt(fd, buf, length, pos) {
  let off = 0;
  while (off < length) {
    const n = readSync(fd, buf, off, length - off, pos + off);
    if (n === 0) break;
    off += n;
  }
  return off;
}

/** @returns {ChunkOutcome} */
const loadFailure = (job, rawSize, message) => ({
  ok: false,
  stage: "load",
  rawSize,
  message: `unable to load chunk ${q(job.path)} - ${message}`,
});

/** @returns {ChunkOutcome} */
const decodeFailure = (job, rawSize, cryptMode, message) => ({
  ok: false,
  stage: "decode",
  rawSize,
  cryptMode,
  message: `chunk ${job.digest}: ${message}`,
});

const hasMagic = (buf, magic) => buf.length >= 8 && buf.compare(magic, 0, 8, 0, 8) === 0;

/**
 * Checks one chunk file. Synchronous (a thread of its own does nothing else) except that the
 * first zstd chunk loads the TypeScript decoder.
 * @param {ChunkJob} job
 * @returns {ChunkOutcome | Promise<ChunkOutcome>}
 */
export function checkChunk(job) {
  let fd;
  try {
    fd = openSync(job.path, "r");
  } catch (err) {
    return loadFailure(job, 0, describeIoError(err));
  }
  let size = 0;
  try {
    size = fstatSync(fd).size;
    if (size > MAX_CHUNK_FILE) return loadFailure(job, size, `data blob too large (${size} bytes).`);
    const first = readAt(fd, piece, Math.min(PIECE_SIZE, size), 0);
    if (first < Math.min(PIECE_SIZE, size)) return loadFailure(job, size, "file shrank while it was read");
    if (size >= HEADER && hasMagic(piece, UNCOMPRESSED)) return checkStreamed(job, fd, size, first);
    if (size > whole.length) whole = Buffer.allocUnsafe(size);
    const raw = whole.subarray(0, readAt(fd, whole, size, 0));
    if (raw.length < size) return loadFailure(job, size, "file shrank while it was read");
    return checkWhole(job, raw);
  } catch (err) {
    return loadFailure(job, size, describeIoError(err));
  } finally {
    closeSync(fd);
  }
}

/** Uncompressed: CRC and sha256 piece by piece; `piece` holds the first `first` bytes. */
function checkStreamed(job, fd, size, first) {
  const payloadLength = size - HEADER;
  if (payloadLength > MAX_BLOB_SIZE) return loadFailure(job, size, `data blob too large (${payloadLength} bytes).`);
  const storedCrc = piece.readUInt32LE(8);
  const hash = createHash("sha256");
  let crc = 0;
  let part = piece.subarray(HEADER, first);
  let pos = first;
  for (;;) {
    crc = crc32(part, crc);
    hash.update(part);
    if (pos >= size) break;
    const n = readAt(fd, piece, Math.min(PIECE_SIZE, size - pos), pos);
    if (n === 0) return loadFailure(job, size, "file shrank while it was read");
    part = piece.subarray(0, n);
    pos += n;
  }
  // PBS checks the CRC when it loads a chunk, before it decodes and hashes it.
  if (crc !== storedCrc) return decodeFailure(job, size, "none", "Data blob has wrong CRC checksum.");
  const actual = hash.digest("hex");
  if (actual !== job.digest) {
    return decodeFailure(job, size, "none", `detected chunk with wrong digest: it holds data with digest ${actual}`);
  }
  if (job.size >= 0 && payloadLength !== job.size) {
    return decodeFailure(job, size, "none", `detected chunk with wrong length (${job.size} != ${payloadLength})`);
  }
  return { ok: true, rawSize: size, cryptMode: "none" };
}

/** Every other variant, from the whole file in `raw`. */
function checkWhole(job, raw) {
  if (raw.length < HEADER) return loadFailure(job, raw.length, `blob too small (${raw.length} bytes).`);
  const encrypted = hasMagic(raw, ENCRYPTED) || hasMagic(raw, ENCRYPTED_ZSTD);
  if (encrypted) {
    if (raw.length < ENCRYPTED_HEADER) return loadFailure(job, raw.length, `encrypted blob too small (${raw.length} bytes).`);
    // As PBS: without the client's key only the framing can be checked, not the content.
    if (crc32(raw.subarray(ENCRYPTED_HEADER)) !== raw.readUInt32LE(8)) {
      return decodeFailure(job, raw.length, "encrypt", "Data blob has wrong CRC checksum.");
    }
    return { ok: true, rawSize: raw.length, cryptMode: "encrypt" };
  }
  if (!hasMagic(raw, ZSTD)) {
    const got = raw.subarray(0, 8).toString("hex");
    return loadFailure(job, raw.length, `unable to parse raw blob - wrong magic (${got}): not a data blob`);
  }
  return checkZstd(job, raw);
}

/** @type {Promise<typeof import("../format/blob")> | undefined} */
let blobModule;

/**
 * zstd through blob.ts's decoder, which refuses frames that would decode past the blob limit
 * before allocating. The file is copied first: `whole` is reused by the next chunk while this one
 * waits for the decoder to load.
 */
async function checkZstd(job, view) {
  const raw = Buffer.from(view);
  blobModule ??=
    // In the CLI bundle (scripts/cli-bundle.mjs defines COFFER_BUNDLE) blob.ts is compiled in.
    typeof COFFER_BUNDLE !== "undefined"
      ? import("../format/blob.ts")
      : (async () => {
          const { register } = await import("tsx/esm/api");
          register();
          return import("../format/blob.ts");
        })();
  const { decodeChunk } = await blobModule;
  let data;
  try {
    data = decodeChunk(raw, Buffer.from(job.digest, "hex"));
  } catch (err) {
    // decodeChunk names the chunk itself.
    return { ok: false, stage: "decode", rawSize: raw.length, cryptMode: "none", message: err instanceof Error ? err.message : String(err) };
  }
  if (job.size >= 0 && data.length !== job.size) {
    return decodeFailure(job, raw.length, "none", `detected chunk with wrong length (${job.size} != ${data.length})`);
  }
  return { ok: true, rawSize: raw.length, cryptMode: "none" };
}

if (parentPort) {
  const port = parentPort;
  // One batch at a time, in order: a zstd chunk may await the decoder's first load.
  let queue = Promise.resolve();
  port.on("message", (/** @type {import("./verify-pool").PoolRequest} */ req) => {
    queue = queue.then(async () => {
      /** @type {import("./verify-pool").PoolReply} */
      let reply;
      try {
        const outcomes = [];
        for (const job of req.jobs) outcomes.push(await checkChunk(job));
        reply = { id: req.id, threadId, outcomes };
      } catch (err) {
        // Not a verdict on a chunk (say, the zstd decoder failed to load): fail the batch, so
        // that no intact chunk is ever reported, or renamed, as corrupt because of it.
        reply = { id: req.id, threadId, outcomes: [], error: err instanceof Error ? err.message : String(err) };
      }
      port.postMessage(reply);
    });
  });
}
