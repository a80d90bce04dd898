import { existsSync, mkdirSync, readdirSync, symlinkSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { lockNamed } from "./file-lock";
import { announce, hasLockWaiters, waitingDir, withdraw } from "./lock-waiters";
import { selfStartTime } from "./process";
import { killChildren, startChild, useTempHome } from "../datastore/test-support/lock-env";
import { waitUntil } from "../tasks/test-support/env";

let home: string;
let cleanup: () => Promise<void>;
let lockDir: string;
beforeEach(async () => {
  ({ home, cleanup } = await useTempHome());
  lockDir = path.join(home, "run", "thing.lck");
});
afterEach(async () => {
  await killChildren();
  await cleanup();
});

describe("lock waiters", () => {
  it("are seen while announced; the last one to leave removes the waiting directory", () => {
    expect(hasLockWaiters(lockDir)).toBe(false);
    const a = announce(lockDir)!;
    const b = announce(lockDir)!;
    expect(hasLockWaiters(lockDir)).toBe(true);
    withdraw(a);
    expect(hasLockWaiters(lockDir)).toBe(true);
    withdraw(b);
    expect(hasLockWaiters(lockDir)).toBe(false);
    expect(existsSync(waitingDir(lockDir))).toBe(false);
  });

  it("do not count once their process is gone, and their links are removed", () => {
    const dir = waitingDir(lockDir);
    mkdirSync(dir, { recursive: true });
    // Our pid with another start time: a process that had our pid before us.
    const dead = `w~${process.pid}~${selfStartTime() + 1}~${Date.now()}~1`;
    symlinkSync("-", path.join(dir, dead));
    expect(hasLockWaiters(lockDir)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("are announced by lockNamed in another process while it waits, and withdrawn once it holds", async () => {
    const guard = await lockNamed(lockDir);
    const child = startChild("hold-lock.ts", [lockDir, "named", "", "60000"]);
    // The child's first attempt failed: it says it waits.
    await waitUntil(() => hasLockWaiters(lockDir), 20_000, "the child to announce itself", 5);
    await guard.release();
    await child.waitFor("locked");
    expect(hasLockWaiters(lockDir)).toBe(false);
    child.send("release");
    await child.waitFor("released");
  });

  it("are announced by lockNamed in this process while it waits behind a holder of this process", async () => {
    const first = await lockNamed(lockDir);
    const second = lockNamed(lockDir);
    expect(hasLockWaiters(lockDir)).toBe(true);
    await first.release();
    const held = await second;
    expect(hasLockWaiters(lockDir)).toBe(false);
    await held.release();
  });

  it("cost an uncontended lockNamed nothing: no waiting directory is made", async () => {
    const guard = await lockNamed(lockDir);
    expect(existsSync(waitingDir(lockDir))).toBe(false);
    await guard.release();
  });
});
