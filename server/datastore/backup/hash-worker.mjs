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
import { parentPort, workerData } from "node:worker_threads";
import { encodeChunk } from "./chunk-encode.mjs";

// The built hash-worker.mjs is what scripts/cli-bundle.test.ts checks encodeChunk in.
export { encodeChunk };

/** @type {Set<string> | undefined} */
let knownHere;
if (workerData?.cofferHashWorker === true && workerData.known) {
  const all = Buffer.from(workerData.known);
  knownHere = new Set();
  for (let o = 0; o + 32 <= all.length; o += 32) knownHere.add(all.toString("hex", o, o + 32));
}

// Only a thread chunk-hasher.ts started (marked in workerData) serves requests, not whatever
// thread happens to import this module.
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
