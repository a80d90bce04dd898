import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { removeUnlessTouched } from "./local-chunk-gc";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function chunk(atimeSec: number): string {
  const dir = mkdtempSync(path.join(existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir(), "coffer-sweep-"));
  dirs.push(dir);
  const file = path.join(dir, "ab".repeat(32));
  writeFileSync(file, "chunk");
  utimesSync(file, atimeSec, atimeSec);
  return file;
}

describe("removing a chunk a writer may be reusing", () => {
  const minAtime = Math.floor(Date.now() / 1000) - 3600;

  it("removes a chunk nobody touched since the sweep looked at it", () => {
    const file = chunk(minAtime - 100);
    expect(removeUnlessTouched(file, minAtime)).toBe(true);
    expect(readdirSync(path.dirname(file))).toEqual([]);
  });

  it("puts back a chunk whose atime a writer refreshed after the sweep's lstat", () => {
    const file = chunk(minAtime - 100);
    // the writer's touch lands between the sweep's lstat and its removal
    const now = Date.now() / 1000;
    utimesSync(file, now, minAtime - 100);
    expect(removeUnlessTouched(file, minAtime)).toBe(false);
    expect(readdirSync(path.dirname(file))).toEqual([path.basename(file)]);
  });
});
