// Encoding of unencrypted DataBlobs (reference pbs-engine.md 1.6) with zstd compression (issue
// 13), and the fast path of decoding them, shared by format/blob.ts and the backup's hashing
// threads (backup/hash-worker.mjs), hence
// plain JavaScript: threads do not inherit tsx. blob.ts exports the same magics for readers.
//
// Two builds of the same libzstd (1.5) do the work (docs/compression.md has the measurements):
// - native: zstd-napi, an optional dependency that compiles its bundled zstd with node-gyp at
//   `npm install` (about 45 s here); about 1.7 times the WebAssembly build's speed, which decides
//   a compressing backup's throughput on 2 cores;
// - WebAssembly: @bokuweb/zstd-wasm, plain files with no install script, so compression works
//   wherever Coffer installs, also where the native build could not be made.
// Both call one-shot ZSTD_compress/ZSTD_decompress, so their frames are alike and either reads the
// other's. `COFFER_ZSTD=native|wasm` forces one (tests, bench/backup.ts); otherwise the native one
// is used when it loads.
import { crc32 } from "node:zlib";
import { loadNativeZstd, nativeCompressSmaller, nativeDecompressSized, nativeZstdVersion } from "./zstd-native.mjs";
import { loadWasmZstd, wasmCompressSmaller, wasmDecompressSized } from "./zstd-wasm.mjs";

const UNCOMPRESSED_MAGIC = Buffer.from([66, 171, 56, 7, 190, 131, 112, 161]);
const COMPRESSED_MAGIC = Buffer.from([49, 185, 88, 66, 111, 182, 163, 127]);
/** magic[8] | crc32 LE[4] */
export const BLOB_HEADER_ROOM = 12;

/** PBS compresses every blob and chunk at zstd level 1 (pbs-datastore data_blob.rs). */
export const PBS_ZSTD_LEVEL = 1;
/** zstd's regular levels; 0 stands for "store uncompressed" in Coffer's options. */
export const MAX_ZSTD_LEVEL = 19;

/** @typedef {{ name: string, compressSmaller: (data: Uint8Array, headerRoom: number, level: number) => Buffer | undefined, decompressSized: (frames: Uint8Array, size: number) => Buffer }} ZstdBuild */

/** @type {ZstdBuild | undefined} */
let chosen;

/** The values COFFER_ZSTD accepts. */
export const ZSTD_BUILDS = ["native", "wasm"];

/**
 * The zstd build this thread uses, chosen once: `COFFER_ZSTD` if set, else the native one when it
 * loads, else WebAssembly. Throws when the forced build cannot load or the variable is not one of
 * ZSTD_BUILDS: a backup must not quietly run on something other than what was asked for.
 *
 * @returns {ZstdBuild}
 */
function zstdBuild() {
  if (chosen) return chosen;
  const forced = process.env.COFFER_ZSTD;
  if (forced !== undefined && forced !== "" && !ZSTD_BUILDS.includes(forced)) {
    throw new Error(`COFFER_ZSTD must be one of ${ZSTD_BUILDS.join(", ")} (or unset to use native where it loads), not '${forced}'`);
  }
  if (forced !== "wasm") {
    try {
      loadNativeZstd();
      chosen = { name: `native libzstd ${nativeZstdVersion()}`, compressSmaller: nativeCompressSmaller, decompressSized: nativeDecompressSized };
      return chosen;
    } catch (err) {
      if (forced === "native") {
        throw new Error(`COFFER_ZSTD=native, but the zstd-napi binding does not load (was it built by npm install?): ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
  loadWasmZstd();
  chosen = { name: "WebAssembly libzstd (@bokuweb/zstd-wasm)", compressSmaller: wasmCompressSmaller, decompressSized: wasmDecompressSized };
  return chosen;
}

/** Which zstd build compresses here, for task logs and benchmarks. */
export function zstdBuildName() {
  return zstdBuild().name;
}

/**
 * Compresses `data` into one zstd frame (with its content size, as libzstd's ZSTD_compress
 * writes it) behind `headerRoom` free bytes, or returns undefined when the frame would not be
 * smaller than `data`: PBS's DataBlob::encode gives zstd a destination the size of the input and
 * keeps the uncompressed form when that is too small.
 *
 * @param {Uint8Array} data
 * @param {number} headerRoom bytes left free at the start of the result for the blob header
 * @param {number} [level]
 * @returns {Buffer | undefined} header room + frame
 */
export function zstdCompressSmaller(data, headerRoom, level = PBS_ZSTD_LEVEL) {
  if (data.length === 0) return undefined;
  return zstdBuild().compressSmaller(data, headerRoom, level);
}

/**
 * Turns a chunk buffer (BLOB_HEADER_ROOM free bytes, then the data) into its DataBlob, PBS's
 * `DataBlob::encode(data, None, compress)`: the zstd variant in a new buffer when the frame is
 * smaller than the data, else the uncompressed variant written into the room in front of the data,
 * so an incompressible chunk is never copied. The CRC covers the stored payload.
 *
 * @param {ArrayBuffer} buffer
 * @param {number} [level] zstd level 1..MAX_ZSTD_LEVEL; 0 writes the uncompressed variant
 * @returns {Buffer} the blob (over `buffer` itself when uncompressed)
 */
export function encodeBlobInRoom(buffer, level = PBS_ZSTD_LEVEL) {
  const all = Buffer.from(buffer);
  const data = all.subarray(BLOB_HEADER_ROOM);
  const frame = level > 0 ? zstdCompressSmaller(data, BLOB_HEADER_ROOM, level) : undefined;
  const out = frame ?? all;
  (frame ? COMPRESSED_MAGIC : UNCOMPRESSED_MAGIC).copy(out, 0);
  out.writeUInt32LE(crc32(out.subarray(BLOB_HEADER_ROOM)), 8);
  return out;
}

/** @type {boolean | undefined} */
let loadable;

/**
 * Whether a zstd build can be loaded here, tried once. Only decoding asks: it falls back to fzstd
 * where neither package can be found (a bundled verify worker copied away from the repository,
 * scripts/cli-bundle.test.ts). Encoding never falls back: a store must not silently switch to
 * uncompressed chunks.
 */
export function zstdLoadable() {
  if (loadable === undefined) {
    try {
      zstdBuild();
      loadable = true;
    } catch {
      loadable = false;
    }
  }
  return loadable;
}

/**
 * Decodes zstd `frames` whose declared content sizes add up to `size` (the caller read and
 * bounded them, blob.ts zstdDeclaredSize) into a new Buffer, with the same zstd build as the
 * encoder: 2 to 4 times fzstd's speed for the WebAssembly one, more for the native one, which
 * verify and restore of compressed chunks feel. Throws when the data is corrupt or does not
 * decode to exactly `size` bytes.
 *
 * @param {Uint8Array} frames
 * @param {number} size
 * @returns {Buffer}
 */
export function zstdDecompressSized(frames, size) {
  return zstdBuild().decompressSized(frames, size);
}
