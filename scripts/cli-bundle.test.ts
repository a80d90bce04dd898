/**
 * The CLI bundle (scripts/cli-bundle.mjs): bin/coffer never runs a bundle older than its
 * sources, and the bundled worker threads work from dist/cli/ as the source ones do.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { crc32 } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";

const execFileAsync = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = path.join(repo, "dist", "cli");

describe("bin/coffer and the CLI bundle", () => {
  const copy = mkdtempSync(path.join(existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir(), "coffer-bundle-"));
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  /** Runs the copy's bin/coffer; stdout and stderr. */
  async function coffer(...args: string[]): Promise<{ stdout: string; stderr: string }> {
    const env: Record<string, string | undefined> = { ...process.env, COFFER_HOME: path.join(copy, ".coffer") };
    delete env.COFFER_BIN;
    delete env.COFFER_FROM_SOURCE;
    return execFileAsync(path.join(copy, "bin", "coffer"), args, { cwd: copy, env: env as NodeJS.ProcessEnv });
  }

  it("builds a missing bundle, reuses a current one, and rebuilds it when a source changed", async () => {
    // A repository of its own, so that editing a source here cannot disturb other tests.
    for (const part of ["bin", "server", "scripts/cli-bundle.mjs", "scripts/cli-run.cjs", "package.json", "tsconfig.json"]) {
      cpSync(path.join(repo, part), path.join(copy, part), {
        recursive: true,
        filter: (src) => !/\.test\.tsx?$/.test(src),
      });
    }
    symlinkSync(path.join(repo, "node_modules"), path.join(copy, "node_modules"));

    const first = await coffer("--version");
    expect(first.stderr).toMatch(/^coffer: the CLI bundle has not been built; building the CLI bundle first/);
    expect(first.stdout).toMatch(/^coffer \d+\.\d+\.\d+\n$/);
    expect(existsSync(path.join(copy, "dist", "cli", "coffer.cjs"))).toBe(true);

    const second = await coffer("--help");
    expect(second.stderr).toBe("");
    expect(second.stdout).toContain("'coffer --version' prints the version.");

    const help = path.join(copy, "server", "cli", "help.ts");
    const text = readFileSync(help, "utf8");
    writeFileSync(help, text.replace("'coffer --version' prints the version.", "'coffer --version' prints the version (edited)."));
    const third = await coffer("--help");
    expect(third.stderr).toMatch(/^coffer: server\/cli\/help\.ts changed; building the CLI bundle first/);
    expect(third.stdout).toContain("prints the version (edited).");

    const fourth = await coffer("--help");
    expect(fourth.stderr).toBe("");
    expect(fourth.stdout).toContain("prints the version (edited).");
  });
});

describe("the bundled worker threads (dist/cli/, built by the vitest global setup)", () => {
  it("hash-worker.mjs frames a small chunk in place and compresses a compressible one with the zstd it loads from the bundle", async () => {
    const { encodeChunk } = (await import(pathToFileURL(path.join(dist, "hash-worker.mjs")).href)) as {
      encodeChunk(b: ArrayBuffer, level: number): { digest: Buffer; blob: Buffer; size: number };
    };
    const frame = (data: Buffer) => {
      const buf = new ArrayBuffer(12 + data.length);
      Buffer.from(buf).set(data, 12);
      return buf;
    };
    const data = Buffer.from("a chunk of data");
    const buf = frame(data);
    const small = encodeChunk(buf, 1);
    expect(small.digest.toString("hex")).toBe(createHash("sha256").update(data).digest("hex"));
    expect(small.blob.buffer).toBe(buf); // uncompressed: the header went into the room in front
    expect(small.blob.readUInt32LE(8)).toBe(crc32(data));
    const text = Buffer.from("a compressible chunk of text\n".repeat(10_000));
    const big = encodeChunk(frame(text), 1);
    expect([...big.blob.subarray(0, 8)]).toEqual([49, 185, 88, 66, 111, 182, 163, 127]);
    expect(big.blob.length).toBeLessThan(text.length / 20);
    expect(big.blob.readUInt32LE(8)).toBe(crc32(big.blob.subarray(12)));
  });

  it("verify-worker.mjs checks a zstd chunk with the decoder compiled into it, needing neither tsx nor the sources", async () => {
    // A copy outside the repository, where neither `tsx` nor ../format/blob.ts resolves.
    const dir = mkdtempSync(path.join(os.tmpdir(), "coffer-bundle-zstd-"));
    try {
      const worker = path.join(dir, "verify-worker.mjs");
      cpSync(path.join(dist, "verify-worker.mjs"), worker);
      // In a plain Node process: vitest would resolve `tsx` for the copy from the repository.
      const checkChunk = async (job: { path: string; digest: string; size: number }): Promise<unknown> => {
        const code = `const { checkChunk } = await import(${JSON.stringify(pathToFileURL(worker).href)}); console.log(JSON.stringify(await checkChunk(${JSON.stringify(job)})));`;
        const { stdout } = await execFileAsync(process.execPath, ["--input-type=module", "-e", code], { cwd: dir });
        return JSON.parse(stdout) as unknown;
      };
      // `zstd -1` of TEXT, as format/blob.test.ts and verify.test.ts have it.
      const TEXT = "Coffer reads zstd blobs written by PBS. ".repeat(3).trimEnd() + "\n";
      const FRAME = Buffer.from("KLUv/SR4jQEAlAJDb2ZmZXIgcmVhZHMgenN0ZCBibG9icyB3cml0dGVuIGJ5IFBCUy4gCgEA4IWqMlIzak4=", "base64");
      const blob = Buffer.alloc(12 + FRAME.length);
      blob.set([49, 185, 88, 66, 111, 182, 163, 127], 0); // the compressed DataBlob magic
      blob.set(FRAME, 12);
      blob.writeUInt32LE(crc32(FRAME), 8);
      const file = path.join(dir, "chunk");
      writeFileSync(file, blob);
      const digest = createHash("sha256").update(TEXT).digest("hex");
      await expect(checkChunk({ path: file, digest, size: TEXT.length })).resolves.toMatchObject({ ok: true, cryptMode: "none" });
      await expect(checkChunk({ path: file, digest, size: 3 })).resolves.toMatchObject({ ok: false });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
