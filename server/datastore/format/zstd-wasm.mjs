// zstd compiled to WebAssembly (@bokuweb/zstd-wasm): the build that works wherever Coffer
// installs, since the package is plain files with no install script and no download
// (blob-encoder.mjs picks it when the native build is missing). The package's own loader is
// asynchronous; it is given emscripten's `instantiateWasm` hook instead, which compiles the module
// synchronously on first use, so callers stay synchronous and none has to await an init. The
// version is pinned exactly in package.json because the hook reaches into the package's glue module.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

/** @type {any} */
let wasm;
/** Reused input and output areas in the WebAssembly heap: a backup compresses thousands of chunks. */
let srcPtr = 0;
let srcCap = 0;
let dstPtr = 0;
let dstCap = 0;
let outPtr = 0;
let outCap = 0;

/** Loads and compiles the module once per thread; throws when the package cannot be found. */
export function loadWasmZstd() {
  wasm ??= load();
}

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
 * ZSTD_compress into a destination of `data.length - 1` bytes, so that a frame not smaller than
 * the data fails: undefined then, else header room + frame in a new buffer.
 *
 * @param {Uint8Array} data non-empty
 * @param {number} headerRoom
 * @param {number} level
 * @returns {Buffer | undefined}
 */
export function wasmCompressSmaller(data, headerRoom, level) {
  loadWasmZstd();
  srcPtr = ensure(srcPtr, srcCap, data.length);
  srcCap = Math.max(srcCap, data.length);
  dstPtr = ensure(dstPtr, dstCap, data.length);
  dstCap = Math.max(dstCap, data.length);
  wasm.HEAPU8.set(data, srcPtr);
  const size = wasm._ZSTD_compress(dstPtr, data.length - 1, srcPtr, data.length, level);
  // Any error here is "destination too small" (the input is valid memory and the level in
  // range): the frame would be at least as large as the data.
  if (wasm._ZSTD_isError(size)) return undefined;
  // Not from Buffer's shared pool: the hashing threads transfer the result's ArrayBuffer.
  const out = Buffer.allocUnsafeSlow(headerRoom + size);
  // HEAPU8 is read after the call: the heap may have grown (and been replaced) during it.
  out.set(wasm.HEAPU8.subarray(dstPtr, dstPtr + size), headerRoom);
  return out;
}

/**
 * ZSTD_decompress of frames declaring `size` bytes in all, into a new Buffer of that size.
 *
 * @param {Uint8Array} frames
 * @param {number} size
 * @returns {Buffer}
 */
export function wasmDecompressSized(frames, size) {
  loadWasmZstd();
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
