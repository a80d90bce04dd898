/**
 * The two zstd builds behind format/blob-encoder.mjs (native libzstd through zstd-napi, and the
 * WebAssembly one): each round-trips, refuses what is not smaller, catches corruption, reads the
 * other's frames, and the choice between them follows COFFER_ZSTD. The last test backs up through
 * the CLI with the WebAssembly build and verifies with the default one, so chunks written by one
 * build are read by the other through the whole engine.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { nativeCompressSmaller, nativeDecompressSized } from "./zstd-native.mjs";
import { wasmCompressSmaller, wasmDecompressSized } from "./zstd-wasm.mjs";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const encoderModule = path.join(repo, "server/datastore/format/blob-encoder.mjs");
const tmpBase = existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir();

/** The native build is optional: where its compile failed, only the WebAssembly one is tested. */
const nativeBuilt = (() => {
  try {
    createRequire(import.meta.url)("zstd-napi/binding");
    return true;
  } catch {
    return false;
  }
})();

type Compress = (data: Uint8Array, headerRoom: number, level: number) => Buffer | undefined;
type Decompress = (frames: Uint8Array, size: number) => Buffer;
const builds: Array<[string, Compress, Decompress]> = [["wasm", wasmCompressSmaller, wasmDecompressSized]];
if (nativeBuilt) builds.push(["native", nativeCompressSmaller, nativeDecompressSized]);

function text(bytes: number): Buffer {
  let s = "";
  for (let i = 0; s.length < bytes; i++) s += `entry ${i}: chunk ${(i * 7919) % 65536} stored, status=ok\n`;
  return Buffer.from(s.slice(0, bytes));
}

/** The frame header says how large its content is (RFC 8878: FCS flag or single segment). */
function declaresSize(frame: Uint8Array): boolean {
  const fhd = frame[4]!;
  return fhd >> 6 !== 0 || ((fhd >> 5) & 1) === 1;
}

describe.each(builds)("the %s zstd build", (_name, compress, decompress) => {
  it("round-trips compressible data at levels 1 and 2 behind the header room, declaring the size", () => {
    const data = text(1024 * 1024 + 3);
    for (const level of [1, 2]) {
      const out = compress(data, 12, level)!;
      expect(out).toBeDefined();
      expect(out.length).toBeLessThan(data.length / 4);
      const frame = out.subarray(12);
      expect(frame.readUInt32LE(0)).toBe(0xfd2fb528);
      expect(declaresSize(frame)).toBe(true);
      expect(decompress(frame, data.length).equals(data)).toBe(true);
    }
  });

  it("gives nothing back when the frame would not be smaller: random bytes, one byte", () => {
    expect(compress(randomBytes(256 * 1024), 12, 2)).toBeUndefined();
    expect(compress(Buffer.from("x"), 12, 1)).toBeUndefined();
  });

  it("throws on a corrupted frame and on a frame that decodes to another size than declared", () => {
    const data = text(200_000);
    const frame = Buffer.from(compress(data, 0, 1)!);
    expect(() => decompress(frame, data.length - 1)).toThrow();
    expect(() => decompress(frame, data.length + 1)).toThrow(/decoded to 200000 bytes, declared 200001/);
    const garbled = Buffer.from(frame);
    for (let i = 20; i < garbled.length; i += 97) garbled[i]! ^= 0x5a;
    expect(() => decompress(garbled, data.length)).toThrow();
    expect(() => decompress(frame.subarray(0, frame.length >> 1), data.length)).toThrow();
  });
});

describe.runIf(nativeBuilt)("native and WebAssembly frames", () => {
  it("are read by the other build, and the two make the same keep-or-store-plain decision", () => {
    const inputs = [text(1024 * 1024), Buffer.concat([text(300_000), randomBytes(300_000)]), randomBytes(100_000)];
    for (const data of inputs) {
      const n = nativeCompressSmaller(data, 0, 2);
      const w = wasmCompressSmaller(data, 0, 2);
      expect(n === undefined).toBe(w === undefined);
      if (n && w) {
        expect(wasmDecompressSized(n, data.length).equals(data)).toBe(true);
        expect(nativeDecompressSized(w, data.length).equals(data)).toBe(true);
        // Same library and level: the ratio agrees to within a percent or so.
        expect(Math.abs(n.length - w.length)).toBeLessThan(data.length / 100);
      }
    }
  });

  it("native level 2 looks back 2 MiB in a whole chunk (WHOLE_CHUNK_TUNING); zstd's own level 2 and level 1 only 1 MiB and 512 KiB", () => {
    // Random bytes, then the same bytes again 1.5 MiB back: only a match that far back shrinks it.
    const half = randomBytes(1536 * 1024);
    const data = Buffer.concat([half, half]);
    const tuned = nativeCompressSmaller(data, 0, 2);
    expect(tuned?.length).toBeLessThan(half.length * 1.01);
    expect(nativeDecompressSized(tuned!, data.length).equals(data)).toBe(true);
    expect(wasmCompressSmaller(data, 0, 2)).toBeUndefined();
    expect(nativeCompressSmaller(data, 0, 1)).toBeUndefined();
    // The context takes each call's level: level 2 again after level 1 is tuned again.
    expect(nativeCompressSmaller(data, 0, 2)?.length).toBe(tuned!.length);
  });
});

/**
 * A preload that makes the native binding fail to load, as on a machine where npm could not build
 * it: what the fallback is for.
 */
const withoutNative = (() => {
  const dir = mkdtempSync(path.join(tmpBase, "coffer-no-native-"));
  const file = path.join(dir, "no-native.cjs");
  writeFileSync(
    file,
    `const Module = require("node:module");
const load = Module._load;
Module._load = function (request, ...rest) {
  if (String(request).startsWith("zstd-napi")) throw new Error("Cannot find module '" + request + "' (blocked by the test)");
  return load.call(this, request, ...rest);
};
`,
  );
  return { file, dir };
})();
afterAll(() => rmSync(withoutNative.dir, { recursive: true, force: true }));

/**
 * Runs a child process with `env` over the test's environment (a key set to undefined is removed,
 * so an outer COFFER_ZSTD does not leak in); stdout and stderr together.
 */
function run(command: string, args: string[], env: Record<string, string | undefined>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, COFFER_ZSTD: undefined, ...env };
    for (const [k, v] of Object.entries(childEnv)) if (v === undefined) delete childEnv[k];
    const p = spawn(command, args, { env: childEnv });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    p.on("error", reject);
    p.on("close", (code) => resolve({ code, out }));
  });
}

/** What blob-encoder.mjs chooses in a fresh process with `env` (and without the native build). */
function chosenBuild(env: Record<string, string | undefined>, native = true): Promise<{ code: number | null; out: string }> {
  const script = `import(${JSON.stringify(encoderModule)}).then((m) => console.log(m.zstdBuildName()))`;
  const preload = native ? [] : ["--require", withoutNative.file];
  return run(process.execPath, [...preload, "-e", script], env);
}

describe("choosing the build", () => {
  it("takes the native build when it loads, else WebAssembly; COFFER_ZSTD=wasm forces WebAssembly", async () => {
    const auto = await chosenBuild({ COFFER_ZSTD: undefined });
    expect(auto.code).toBe(0);
    expect(auto.out).toMatch(nativeBuilt ? /^native libzstd 1\.\d+\.\d+$/m : /^WebAssembly libzstd/m);
    const wasm = await chosenBuild({ COFFER_ZSTD: "wasm" });
    expect(wasm.out).toMatch(/^WebAssembly libzstd \(@bokuweb\/zstd-wasm\)$/m);
  });

  it("falls back to WebAssembly where the native build does not load, unless native is forced", async () => {
    const auto = await chosenBuild({ COFFER_ZSTD: undefined }, false);
    expect(auto).toMatchObject({ code: 0 });
    expect(auto.out).toMatch(/^WebAssembly libzstd \(@bokuweb\/zstd-wasm\)$/m);
    const forced = await chosenBuild({ COFFER_ZSTD: "native" }, false);
    expect(forced.code).not.toBe(0);
    expect(forced.out).toContain("COFFER_ZSTD=native, but the zstd-napi binding does not load (was it built by npm install?)");
    expect(forced.out).toContain("blocked by the test");
  });

  it("refuses a COFFER_ZSTD it does not know, naming the values it takes", async () => {
    const bad = await chosenBuild({ COFFER_ZSTD: "zlib" });
    expect(bad.code).not.toBe(0);
    expect(bad.out).toContain("COFFER_ZSTD must be one of native, wasm (or unset to use native where it loads), not 'zlib'");
  });
});

describe.runIf(nativeBuilt)("a store written by the WebAssembly build", () => {
  const home = mkdtempSync(path.join(tmpBase, "coffer-zstd-builds-"));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  const coffer = (args: string[], env: Record<string, string> = {}) =>
    run(path.join(repo, "bin/coffer"), args, { COFFER_HOME: home, COFFER_TASK_NICE: "0", ...env });

  it("is verified by the native build, chunk by chunk", async () => {
    const src = path.join(home, "src");
    mkdirSync(src);
    writeFileSync(path.join(src, "log.txt"), text(3 * 1024 * 1024));
    // The whole result, so a failure shows the output.
    expect(await coffer(["datastore", "create", "zst", "--path", path.join(home, "store")])).toMatchObject({ code: 0 });
    const backup = await coffer(["backup", "zst", "host/a", `root.pxar=${src}`, "--chunk-size", "256"], { COFFER_ZSTD: "wasm" });
    expect(backup.out).toContain("compression: zstd level 2 (WebAssembly libzstd");
    expect(backup).toMatchObject({ code: 0 });
    const verify = await coffer(["verify", "zst"]);
    expect(verify).toMatchObject({ code: 0 });
    expect(verify.out).toContain("verify summary: 1 ok, 0 failed, 0 skipped of 1 snapshots");
    // Read over decoded: the chunks are compressed frames, not plain blobs.
    const [, read, decoded] = /verified ([\d.]+)\/([\d.]+) MiB .*\(0 errors\)/.exec(verify.out) ?? [];
    expect(Number(decoded)).toBe(3);
    expect(Number(read)).toBeLessThan(1);
  }, 60_000);
});
