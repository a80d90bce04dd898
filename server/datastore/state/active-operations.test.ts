import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { paths } from "../../config/paths";
import { getActiveOperations, updateActiveOperations } from "./active-operations";
import { processStartTime, selfStartTime } from "../../platform/process";
import { killChildren, startChild, useTempHome } from "../test-support/lock-env";

let cleanup: () => Promise<void>;
beforeEach(async () => {
  cleanup = (await useTempHome()).cleanup;
});
afterEach(async () => {
  await killChildren();
  await cleanup();
});

async function fileEntries(store: string): Promise<Array<{ pid: number; starttime: number; active_operations: unknown }>> {
  return JSON.parse(await readFile(paths.activeOperations(store), "utf8"));
}

describe("active operations (reference 6.4)", () => {
  it("reads zeros when no file exists", async () => {
    expect(await getActiveOperations("store1")).toEqual({ read: 0, write: 0 });
  });

  it("counts +1/-1 per operation in this process's entry, in PBS's file format", async () => {
    await updateActiveOperations("store1", "read", 1);
    await updateActiveOperations("store1", "read", 1);
    await updateActiveOperations("store1", "write", 1);
    expect(await getActiveOperations("store1")).toEqual({ read: 2, write: 1 });
    expect(await fileEntries("store1")).toEqual([
      { pid: process.pid, starttime: selfStartTime(), active_operations: { read: 2, write: 1 } },
    ]);
    await updateActiveOperations("store1", "read", -1);
    await updateActiveOperations("store1", "write", -1);
    expect(await getActiveOperations("store1")).toEqual({ read: 1, write: 0 });
    expect(await getActiveOperations("store2")).toEqual({ read: 0, write: 0 }); // per datastore
    // The lock is a directory beside the file; no temp files are left behind.
    const dir = path.dirname(paths.activeOperations("store1"));
    expect((await readdir(dir)).sort()).toEqual(["store1", "store1.lock"]);
  });

  it("leaves a {read: 0, write: 0} entry for a lookup, and never counts below zero", async () => {
    await updateActiveOperations("store1", "lookup", 1);
    expect(await fileEntries("store1")).toEqual([
      { pid: process.pid, starttime: selfStartTime(), active_operations: { read: 0, write: 0 } },
    ]);
    await updateActiveOperations("store1", "write", -1);
    expect(await getActiveOperations("store1")).toEqual({ read: 0, write: 0 });
  });

  it("sums across processes, and drops a SIGKILLed process at once and from the file at the next update", async () => {
    const child = startChild("hold-operation.ts", ["store1", "write"]);
    await child.waitFor("registered");
    await updateActiveOperations("store1", "read", 1);
    expect(await getActiveOperations("store1")).toEqual({ read: 1, write: 1 });
    expect((await fileEntries("store1")).map((e) => e.pid).sort()).toEqual([process.pid, child.pid].sort());

    await child.kill("SIGKILL");
    expect(await getActiveOperations("store1")).toEqual({ read: 1, write: 0 });
    expect((await fileEntries("store1")).map((e) => e.pid)).toContain(child.pid); // still recorded...
    await updateActiveOperations("store1", "read", -1);
    expect((await fileEntries("store1")).map((e) => e.pid)).toEqual([process.pid]); // ...until pruned
  });

  it("lets a child that finishes normally take its count back", async () => {
    const child = startChild("hold-operation.ts", ["store1", "read"]);
    await child.waitFor("registered");
    expect(await getActiveOperations("store1")).toEqual({ read: 1, write: 0 });
    child.send("done");
    await child.waitFor("done");
    expect(await getActiveOperations("store1")).toEqual({ read: 0, write: 0 });
  });

  it("ignores an entry whose pid was reused (start time differs) and drops it", async () => {
    const file = paths.activeOperations("store1");
    await mkdir(path.dirname(file), { recursive: true });
    const ppid = process.ppid;
    const reused = { pid: ppid, starttime: processStartTime(ppid)! + 1, active_operations: { read: 5, write: 5 } };
    const ownOld = { pid: process.pid, starttime: selfStartTime() - 1, active_operations: { read: 7, write: 7 } };
    await writeFile(file, JSON.stringify([reused, ownOld]));
    expect(await getActiveOperations("store1")).toEqual({ read: 0, write: 0 });
    await updateActiveOperations("store1", "write", 1);
    expect(await fileEntries("store1")).toEqual([
      { pid: process.pid, starttime: selfStartTime(), active_operations: { read: 0, write: 1 } },
    ]);
  });

  it("serialises concurrent updates under the lock (no lost update)", async () => {
    await Promise.all(Array.from({ length: 20 }, () => updateActiveOperations("store1", "read", 1)));
    expect(await getActiveOperations("store1")).toEqual({ read: 20, write: 0 });
  });

  it("reports a corrupt file instead of guessing", async () => {
    const file = paths.activeOperations("store1");
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, "{not json");
    await expect(getActiveOperations("store1")).rejects.toThrow(/active operations file ".*store1" is corrupt/);
  });
});
