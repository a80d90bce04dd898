// One hashing thread of the backup's chunk hasher (chunk-hasher.ts): turns a chunk into its
// digest and its DataBlob. The buffer it receives has 12 free bytes in front of the chunk data;
// the thread computes sha256 of the data and encodes the blob (format/blob-encoder.mjs): zstd in
// a new buffer when that is smaller, else the uncompressed header written into those 12 bytes, so
// an incompressible chunk is never copied between reading it and writing it to the chunk store.
// Compressing here, not on the main thread, keeps every core busy (zstd is the costliest step
// of a backup by far).
//
// Plain JavaScript for the reason verify-worker.mjs gives: threads do not inherit tsx, and
// registering it costs more than the work. chunk-hasher.test.ts checks the result against
// format/blob.ts's encodeBlob, so the two cannot drift apart.
import { createHash } from "node:crypto";
import { statSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { BLOB_HEADER_ROOM, encodeBlobInRoom } from "../format/blob-encoder.mjs";

/**
 * @param {ArrayBuffer} buffer header room + chunk data
 * @param {number} level zstd level; 0: uncompressed
 * @param {ReadonlySet<string>} [known] digests (hex) of chunks the backup will not write, which
 *   are therefore not compressed (their blob is never used)
 * @param {string} [chunkDir] the store's local chunk directory (`.chunks`): a chunk already
 *   stored there in a form smaller than its uncompressed blob is kept by the insert (PBS's rule),
 *   so it is not compressed again either (data another group already backed up)
 * @returns {{ digest: Buffer, blob: Buffer, size: number }}
 */
export function encodeChunk(buffer, level, known, chunkDir) {
  const size = buffer.byteLength - BLOB_HEADER_ROOM;
  const digest = createHash("sha256").update(new Uint8Array(buffer, BLOB_HEADER_ROOM)).digest();
  const hex = digest.toString("hex");
  const skip = level > 0 && ((known !== undefined && known.has(hex)) || (chunkDir !== undefined && storedSmaller(chunkDir, hex, size)));
  return { digest, blob: encodeBlobInRoom(buffer, skip ? 0 : level), size };
}

/**
 * True when the chunk is stored in a form smaller than its uncompressed blob. A stat against
 * compressing megabytes; if the file goes away before the insert, the insert writes the
 * uncompressed blob, which is as valid (PBS reads both).
 * @param {string} chunkDir @param {string} hex @param {number} size
 */
function storedSmaller(chunkDir, hex, size) {
  const st = statSync(`${chunkDir}/${hex.slice(0, 4)}/${hex}`, { throwIfNoEntry: false });
  return st !== undefined && st.isFile() && st.size > 0 && st.size < size + BLOB_HEADER_ROOM;
}

/** @type {Set<string> | undefined} */
let knownHere;
if (workerData?.cofferHashWorker === true && workerData.known) {
  const all = Buffer.from(workerData.known);
  knownHere = new Set();
  for (let o = 0; o + 32 <= all.length; o += 32) knownHere.add(all.toString("hex", o, o + 32));
}

// chunk-hasher.ts imports encodeChunk for hashing on the calling thread; only a thread it started
// (marked in workerData) serves requests, not whatever thread happens to import this module.
if (parentPort && workerData?.cofferHashWorker === true) {
  const port = parentPort;
  port.on("message", (/** @type {{ id: number, buffer: ArrayBuffer, level: number }} */ req) => {
    try {
      const { digest, blob, size } = encodeChunk(req.buffer, req.level, knownHere, workerData.chunkDir);
      // blob spans its whole ArrayBuffer (the chunk buffer, or an unpooled one from the encoder).
      port.postMessage({ id: req.id, buffer: blob.buffer, size, digest }, [blob.buffer]);
    } catch (err) {
      port.postMessage({ id: req.id, error: err instanceof Error ? err.message : String(err) });
    }
  });
}
