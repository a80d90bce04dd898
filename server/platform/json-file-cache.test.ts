/**
 * The JSON config cache (json-file-cache.ts) on real files: one version is parsed once; in the
 * console's server a file replaced by another process is seen from the next turn of the event
 * loop on and one this process wrote at once, elsewhere on the next read.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, renameSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { lookOncePerTurn, readJsonFileCached, writeJsonFileDone } from "./json-file-cache";

const schema = z.object({ n: z.number() }).strict();
let dir: string;
let file: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "json-cache-"));
  file = path.join(dir, "c.json");
});
afterEach(() => {
  lookOncePerTurn(false);
  rmSync(dir, { recursive: true, force: true });
});

/** Replaces the file whole, by rename, as every writer of these files does. */
function replace(n: number): void {
  writeFileSync(`${file}.tmp`, JSON.stringify({ n }));
  renameSync(`${file}.tmp`, file);
}
/** The same, by a child process that this one waits for (as a test or the CLI may). */
function replaceFromAnotherProcess(n: number): void {
  const script = `const fs = require("fs"); fs.writeFileSync(process.argv[1] + ".x", '{"n":${n}}'); fs.renameSync(process.argv[1] + ".x", process.argv[1]);`;
  execFileSync(process.execPath, ["-e", script, file]);
}
const nextTurn = () => new Promise((r) => setImmediate(r));
const read = () => readJsonFileCached(file, schema, "test config");

describe("the JSON config cache", () => {
  it("gives the same frozen value while the file is unchanged, and a new one once it is replaced", async () => {
    replace(1);
    const first = read();
    expect(first).toEqual({ n: 1 });
    expect(Object.isFrozen(first)).toBe(true);
    await nextTurn();
    expect(read()).toBe(first);
    replace(2);
    await nextTurn();
    expect(read()).toEqual({ n: 2 });
  });

  it("outside the console's server, sees another process's change on the next read", () => {
    replace(1);
    expect(read()).toEqual({ n: 1 });
    replaceFromAnotherProcess(3);
    expect(read()).toEqual({ n: 3 });
  });

  it("in the server, looks at a file once per turn: another process's change shows from the next turn on", async () => {
    lookOncePerTurn();
    replace(1);
    expect(read()).toEqual({ n: 1 });
    // Another process replaces it (a CLI command changing the ACL, say): within this turn the
    // value read at its start still counts; any request that arrives later is in a later turn.
    replaceFromAnotherProcess(3);
    expect(read()).toEqual({ n: 1 });
    await nextTurn();
    expect(read()).toEqual({ n: 3 });
  });

  it("in the server, sees this process's own write at once, and a file that is gone from the next turn on", async () => {
    lookOncePerTurn();
    replace(1);
    expect(read()).toEqual({ n: 1 });
    replace(4);
    writeJsonFileDone(file);
    expect(read()).toEqual({ n: 4 });
    rmSync(file);
    await nextTurn();
    expect(read()).toBeUndefined();
    replace(5);
    expect(read()).toBeUndefined(); // still this turn: absent, as first seen
    expect(readJsonFileCached(file, schema, "test config", { fresh: true })).toEqual({ n: 5 });
  });

  it("says which file is invalid and why, and reads it again each time", async () => {
    writeFileSync(file, JSON.stringify({ n: "x" }));
    expect(read).toThrow(/^invalid test config ".*c\.json" - /);
    expect(read).toThrow(/invalid test config/);
    writeFileSync(file, "{not json");
    expect(read).toThrow(/^unable to parse test config ".*c\.json" - SyntaxError/);
  });
});
