// One hashing thread of the backup's chunk hasher (chunk-hasher.ts): turns a chunk into its
// digest and its DataBlob in place. The buffer it receives has 12 free bytes in front of the
// chunk data; the thread computes sha256 and CRC32 of the data, writes the uncompressed blob
// header (magic + CRC, format/blob.ts) into those 12 bytes and hands the buffer back, so a chunk
// is never copied between reading it and writing it to the chunk store.
//
// Plain JavaScript for the reason verify-worker.mjs gives: threads do not inherit tsx, and
// registering it costs more than the work. chunk-hasher.test.ts checks the result against
// format/blob.ts's encodeBlob, so the two cannot drift apart.
import { createHash } from "node:crypto";
import { parentPort } from "node:worker_threads";
import { crc32 } from "node:zlib";

const UNCOMPRESSED = Buffer.from([66, 171, 56, 7, 190, 131, 112, 161]);
const HEADER = 12;

/**
 * @param {ArrayBuffer} buffer header room + chunk data
 * @returns {Buffer} the digest
 */
export function encodeInPlace(buffer) {
  const all = Buffer.from(buffer);
  const data = all.subarray(HEADER);
  const digest = createHash("sha256").update(data).digest();
  UNCOMPRESSED.copy(all, 0);
  all.writeUInt32LE(crc32(data), 8);
  return digest;
}

if (parentPort) {
  const port = parentPort;
  port.on("message", (/** @type {{ id: number, buffer: ArrayBuffer }} */ req) => {
    try {
      const digest = encodeInPlace(req.buffer);
      port.postMessage({ id: req.id, buffer: req.buffer, digest }, [req.buffer]);
    } catch (err) {
      port.postMessage({ id: req.id, error: err instanceof Error ? err.message : String(err) });
    }
  });
}
