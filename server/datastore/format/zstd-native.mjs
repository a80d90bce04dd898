// libzstd through zstd-napi's Node-API binding: the fast build (about 1.7 times the WebAssembly
// one per core here, docs/compression.md). It is an optional dependency that compiles its bundled
// zstd sources with node-gyp at `npm install`; where that failed, loading throws and
// blob-encoder.mjs uses the WebAssembly build instead. Only the binding's one-shot ZSTD_compress2
// and ZSTD_decompressDCtx are used: a destination buffer of our choosing is exactly PBS's
// DataBlob::encode, and nothing is copied that need not be.
import { createRequire } from "node:module";

/** @type {any} */
let binding;
/** @type {any} */
let cctx;
/** @type {any} */
let dctx;
/** Reused destination of the compressor: a backup compresses thousands of chunks per thread. */
let scratch = Buffer.alloc(0);
/** The level cctx's parameters are set for; -1 before the first call. */
let cctxLevel = -1;

/**
 * zstd sizes level 2's match table (hashLog 16) and window (1 MiB) for streams, but a chunk is
 * compressed whole, in one call. Level 3's table and window at level 2 store 0.6-0.8 % less on
 * tars of /usr/share, /usr/lib and node_modules for about 8 % more compression CPU
 * (docs/compression.md, "Level"); that closes the gap to restic at the default level. Level 1
 * with the larger table got slower than plain level 2 and stored more, so other levels are zstd's.
 * Only libzstd's advanced API takes these; the WebAssembly build compresses at plain level 2.
 *
 * @type {ReadonlyMap<number, Readonly<Record<string, number>>>}
 */
const WHOLE_CHUNK_TUNING = new Map([[2, { hashLog: 17, windowLog: 21 }]]);

/** Loads the binding once per thread; throws when it was not built or cannot load here. */
export function loadNativeZstd() {
  if (binding) return;
  const req = createRequire(import.meta.url);
  // Built at run time, so that neither the CLI bundle nor Next's server build tries to bundle a
  // native module (they leave computed requires alone).
  const b = req(/* turbopackIgnore: true */ /* webpackIgnore: true */ ["zstd-napi", "binding"].join("/"));
  cctx = new b.CCtx();
  cctxLevel = -1;
  dctx = new b.DCtx();
  binding = b;
}

/** @returns {string} e.g. "1.5.7" */
export function nativeZstdVersion() {
  loadNativeZstd();
  return binding.versionString();
}

/** libzstd's name for ZSTD_error_dstSize_tooSmall, which the binding throws as the message. */
const DST_TOO_SMALL = "Destination buffer is too small";

/** @param {number} level */
function setLevel(level) {
  if (level === cctxLevel) return;
  // A call that ran out of room leaves its frame open; parameters reset only with the session.
  cctx.reset(binding.ResetDirective.sessionAndParameters);
  cctx.setParameter(binding.CParameter.compressionLevel, level);
  for (const [name, value] of Object.entries(WHOLE_CHUNK_TUNING.get(level) ?? {})) {
    cctx.setParameter(binding.CParameter[name], value);
  }
  cctxLevel = level;
}

/**
 * ZSTD_compress2 at `level` (with WHOLE_CHUNK_TUNING) into a destination of `data.length - 1`
 * bytes, so that a frame not smaller than the data fails: undefined then, else header room +
 * frame in a new buffer.
 *
 * @param {Uint8Array} data non-empty
 * @param {number} headerRoom
 * @param {number} level
 * @returns {Buffer | undefined}
 */
export function nativeCompressSmaller(data, headerRoom, level) {
  loadNativeZstd();
  if (scratch.length < data.length) scratch = Buffer.allocUnsafeSlow(data.length);
  setLevel(level);
  let size;
  try {
    size = cctx.compress2(scratch.subarray(0, data.length - 1), data);
  } catch (err) {
    if (err instanceof Error && err.message === DST_TOO_SMALL) return undefined;
    throw err;
  }
  // Not from Buffer's shared pool: the hashing threads transfer the result's ArrayBuffer.
  const out = Buffer.allocUnsafeSlow(headerRoom + size);
  scratch.copy(out, headerRoom, 0, size);
  return out;
}

/**
 * ZSTD_decompressDCtx of frames declaring `size` bytes in all, straight into a new Buffer of that
 * size: a frame that decodes to more fails for want of room, one that decodes to less is caught.
 *
 * @param {Uint8Array} frames
 * @param {number} size
 * @returns {Buffer}
 */
export function nativeDecompressSized(frames, size) {
  loadNativeZstd();
  const out = Buffer.allocUnsafeSlow(size);
  let got;
  try {
    got = dctx.decompress(out, frames);
  } catch (err) {
    throw new Error(`corrupt zstd data (${err instanceof Error ? err.message : String(err)})`);
  }
  if (got !== size) throw new Error(`frame decoded to ${got} bytes, declared ${size}`);
  return out;
}
