// Turning a chunk into its digest and its DataBlob, for the hashing threads (hash-worker.mjs)
// and for chunk-hasher.ts when it hashes on the calling thread. Apart from hash-worker.mjs so
// that importing it runs nothing: hash-worker.mjs reads its workerData when it loads, which
// would load worker_threads into every CLI and task process that merely imports the hasher.
// Plain JavaScript for the reason hash-worker.mjs gives.
import { createHash } from "node:crypto";
import { statSync } from "node:fs";
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
