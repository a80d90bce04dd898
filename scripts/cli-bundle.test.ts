/**
 * The CLI bundle (scripts/cli-bundle.mjs): bin/coffer never runs a bundle older than its
 * sources, and the bundled worker threads work from dist/cli/ as the source ones do.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { crc32 } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const execFileAsync = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = path.join(repo, "dist", "cli");

describe("bin/coffer and the CLI bundle", () => {
  // Made in beforeAll, not when the file is collected: a run that filters this test out must
  // not leave the directory behind.
  let copy = "";
  beforeAll(() => {
    copy = mkdtempSync(path.join(existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir(), "coffer-bundle-"));
  });
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  /** Runs the copy's bin/coffer; stdout and stderr. */
  async function coffer(...args: string[]): Promise<{ stdout: string; stderr: string }> {
    return cofferWith({}, ...args);
  }

  async function cofferWith(extraEnv: Record<string, string>, ...args: string[]): Promise<{ stdout: string; stderr: string }> {
    const env: Record<string, string | undefined> = { ...process.env, COFFER_HOME: path.join(copy, ".coffer") };
    delete env.COFFER_BIN;
    delete env.COFFER_FROM_SOURCE;
    delete env.COFFER_CLI_CHECKED;
    return execFileAsync(path.join(copy, "bin", "coffer"), args, { cwd: copy, env: { ...env, ...extraEnv } as NodeJS.ProcessEnv });
  }

  it("builds a missing bundle, reuses a current one, and rebuilds it when a source changed", async () => {
    // A repository of its own, so that editing a source here cannot disturb other tests.
    for (const part of ["bin", "server", "scripts/cli-bundle.mjs", "scripts/cli-run.cjs", "scripts/pid-alive.mjs", "package.json", "tsconfig.json"]) {
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

    // A task process started by a CLI that has just checked this very bundle file trusts it; a
    // process told of another file (a rebuild since) checks for itself.
    writeFileSync(help, text.replace("'coffer --version' prints the version.", "'coffer --version' prints the version (edited again)."));
    const st = statSync(path.join(copy, "dist", "cli", "coffer.cjs"));
    const trusted = await cofferWith({ COFFER_CLI_CHECKED: `${st.ino}-${st.mtimeMs}` }, "--help");
    expect(trusted.stderr).toBe("");
    expect(trusted.stdout).toContain("prints the version (edited).");
    const other = await cofferWith({ COFFER_CLI_CHECKED: `${st.ino}-${st.mtimeMs - 1}` }, "--help");
    expect(other.stderr).toMatch(/^coffer: server\/cli\/help\.ts changed; building the CLI bundle first/);
    expect(other.stdout).toContain("prints the version (edited again).");
  });
});

describe("what a start of the CLI bundle loads (dist/cli/, built by the vitest global setup)", () => {
  it("is ASCII, which V8 reads and compiles faster than the same text with one other character", () => {
    expect(readFileSync(path.join(dist, "coffer.cjs"), "latin1")).not.toMatch(/[^\x00-\x7f]/);
  });

  it("loads crypto, zlib, worker_threads, child_process and perf_hooks only when a command uses them", async () => {
    // The Node built-ins a start loads beyond those of an empty script, for `coffer --version`
    // (which uses none of them) and `coffer datastore list` (reads configuration only).
    const loaded = async (...args: string[]) => {
      const script = `const before = new Set(process.moduleLoadList);
process.argv = [process.argv[0], ${JSON.stringify(path.join(repo, "bin", "coffer"))}, ...${JSON.stringify(args)}];
process.on("exit", () => process.stderr.write(JSON.stringify(process.moduleLoadList.filter((m) => !before.has(m)))));
require(process.argv[1]);`;
      const env: Record<string, string | undefined> = { ...process.env, COFFER_HOME: mkdtempSync(path.join(os.tmpdir(), "coffer-load-")) };
      delete env.COFFER_BIN;
      try {
        const { stderr } = await execFileAsync(process.execPath, ["-e", script], { env: env as NodeJS.ProcessEnv });
        return (JSON.parse(stderr) as string[]).filter((m) => m.startsWith("NativeModule ")).map((m) => m.slice("NativeModule ".length));
      } finally {
        rmSync(env.COFFER_HOME!, { recursive: true, force: true });
      }
    };
    const lazy = ["crypto", "zlib", "worker_threads", "child_process", "perf_hooks", "timers/promises"];
    for (const args of [["--version"], ["datastore", "list"]]) {
      const modules = await loaded(...args);
      expect(modules, `coffer ${args.join(" ")}`).toContain("vm"); // the bundle did run
      expect(modules.filter((m) => lazy.includes(m)), `coffer ${args.join(" ")}`).toEqual([]);
    }
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
