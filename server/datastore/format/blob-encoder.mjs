// Encoding of unencrypted DataBlobs (reference pbs-engine.md 1.6) with zstd compression (issue
// 13), and the fast path of decoding them, shared by format/blob.ts and the backup's hashing
// threads (backup/hash-worker.mjs), hence
// plain JavaScript: threads do not inherit tsx. blob.ts exports the same magics for readers.
//
// The encoder is zstd 1.5 compiled to WebAssembly (@bokuweb/zstd-wasm): it installs from the npm
// registry with no install script and no download, loads from the source tree and from the CLI
// bundle alike, and runs at about 300 MiB/s per core here, close to native bindings (docs/compression.md
// has the comparison). The package's own loader is asynchronous; it is given emscripten's
// `instantiateWasm` hook instead, which compiles the module synchronously on first use, so
// encodeBlob stays synchronous and no caller has to remember to await an init. The version is
// pinned exactly in package.json because the hook reaches into the package's glue module.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { crc32 } from "node:zlib";

const UNCOMPRESSED_MAGIC = Buffer.from([66, 171, 56, 7, 190, 131, 112, 161]);
const COMPRESSED_MAGIC = Buffer.from([49, 185, 88, 66, 111, 182, 163, 127]);
/** magic[8] | crc32 LE[4] */
export const BLOB_HEADER_ROOM = 12;

/** PBS compresses every blob and chunk at zstd level 1 (pbs-datastore data_blob.rs). */
export const PBS_ZSTD_LEVEL = 1;
/** zstd's regular levels; 0 stands for "store uncompressed" in Coffer's options. */
export const MAX_ZSTD_LEVEL = 19;

/** @type {any} */
let wasm;
/** Reused input and output areas in the WebAssembly heap: a backup compresses thousands of chunks. */
let srcPtr = 0;
let srcCap = 0;
let dstPtr = 0;
let dstCap = 0;

function load() {
  // Not import.meta.resolve: in the CLI bundle (CommonJS) import.meta.url is defined as the
  // bundle's own URL, and resolving from there still finds the repo's node_modules.
  const req = createRequire(import.meta.url);
  // Built at run time: Next's bundler would replace a literal with its own module id.
  const pkg = ["@bokuweb", "zstd-wasm"].join("/");
  const dir = path.dirname(req.resolve(/* turbopackIgnore: true */ pkg));
  // The package exports only its async entry point; its glue module is reached by path (and
  // left alone by bundlers, which cannot follow a computed path anyway).
  const glue = req(/* turbopackIgnore: true */ /* webpackIgnore: true */ path.join(dir, "module.js"));
  const Module = glue.Module;
  if (!Module._zstdReady) {
    const bytes = readFileSync(path.join(dir, "zstd.wasm"));
    Module.instantiateWasm = (/** @type {WebAssembly.Imports} */ imports, /** @type {Function} */ receive) => {
      const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), imports);
      receive(instance);
      return instance.exports;
    };
    Module.init();
    if (!Module.calledRun) throw new Error("zstd WebAssembly module did not initialise synchronously");
    Module._zstdReady = true;
  }
  return Module;
}

/** Grows a heap area to at least `size` bytes; returns the (possibly new) pointer. */
function ensure(/** @type {number} */ ptr, /** @type {number} */ cap, /** @type {number} */ size) {
  if (cap >= size) return ptr;
  if (ptr !== 0) wasm._free(ptr);
  const next = wasm._malloc(size);
  if (next === 0) throw new Error(`zstd: out of WebAssembly memory for ${size} bytes`);
  return next;
}

/**
 * Compresses `data` into one zstd frame (with its content size, as libzstd's ZSTD_compress
 * writes it) behind `headerRoom` free bytes, or returns undefined when the frame would not be
 * smaller than `data`: PBS's DataBlob::encode gives zstd a destination of exactly the input's
 * size and keeps the uncompressed form when that is too small.
 *
 * @param {Uint8Array} data
 * @param {number} headerRoom bytes left free at the start of the result for the blob header
 * @param {number} [level]
 * @returns {Buffer | undefined} header room + frame
 */
export function zstdCompressSmaller(data, headerRoom, level = PBS_ZSTD_LEVEL) {
  if (data.length === 0) return undefined;
  wasm ??= load();
  srcPtr = ensure(srcPtr, srcCap, data.length);
  srcCap = Math.max(srcCap, data.length);
  dstPtr = ensure(dstPtr, dstCap, data.length);
  dstCap = Math.max(dstCap, data.length);
  wasm.HEAPU8.set(data, srcPtr);
  const size = wasm._ZSTD_compress(dstPtr, data.length, srcPtr, data.length, level);
  // Any error here is "destination too small" (the input is valid memory and the level in
  // range): the frame would be at least as large as the data.
  if (wasm._ZSTD_isError(size)) return undefined;
  if (size >= data.length) return undefined;
  // Not from Buffer's shared pool: the hashing threads transfer the result's ArrayBuffer.
  const out = Buffer.allocUnsafeSlow(headerRoom + size);
  // HEAPU8 is read after the call: the heap may have grown (and been replaced) during it.
  out.set(wasm.HEAPU8.subarray(dstPtr, dstPtr + size), headerRoom);
  return out;
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
 * Whether the WebAssembly zstd can be loaded here, tried once. Only decoding asks: it falls back
 * to fzstd where the package cannot be found (a bundled verify worker copied away from the
 * repository, scripts/cli-bundle.test.ts). Encoding never falls back: a store must not silently
 * switch to uncompressed chunks.
 */
export function zstdLoadable() {
  if (loadable === undefined) {
    try {
      wasm ??= load();
      loadable = true;
    } catch {
      loadable = false;
    }
  }
  return loadable;
}

/** Reused output area for decoding (chunks are decoded one after another on a thread). */
let outPtr = 0;
let outCap = 0;

/**
 * Decodes zstd `frames` whose declared content sizes add up to `size` (the caller read and
 * bounded them, blob.ts zstdDeclaredSize) into a new Buffer, with the same WebAssembly zstd as
 * the encoder: 2 to 4 times fzstd's speed here, which verify and restore of compressed chunks
 * feel. Throws when the data is corrupt or does not decode to exactly `size` bytes.
 *
 * @param {Uint8Array} frames
 * @param {number} size
 * @returns {Buffer}
 */
export function zstdDecompressSized(frames, size) {
  wasm ??= load();
  srcPtr = ensure(srcPtr, srcCap, frames.length);
  srcCap = Math.max(srcCap, frames.length);
  // One spare byte: a frame that decodes to more than it declared fails instead of fitting.
  outPtr = ensure(outPtr, outCap, size + 1);
  outCap = Math.max(outCap, size + 1);
  wasm.HEAPU8.set(frames, srcPtr);
  const got = wasm._ZSTD_decompress(outPtr, size + 1, srcPtr, frames.length);
  if (wasm._ZSTD_isError(got)) throw new Error(`corrupt zstd data (error ${-got})`);
  if (got !== size) throw new Error(`frame decoded to ${got} bytes, declared ${size}`);
  const out = Buffer.allocUnsafeSlow(size);
  out.set(wasm.HEAPU8.subarray(outPtr, outPtr + size));
  return out;
}
