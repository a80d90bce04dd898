/**
 * The production server loads the engine more than once: Next bundles the API routes and the
 * job scheduler (instrumentation) separately, and each has its own copy of every module
 * (file-lock.ts had two module ids in .next/server). What must be one per process (the locks
 * this process holds, its in-process queues, its task ids) must be one however many copies
 * there are. Two copies are made here the way Next makes them: a fresh module registry.
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { useTempHome } from "../datastore/test-support/lock-env";

let home: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ home, cleanup } = await useTempHome());
});
afterEach(async () => {
  await cleanup();
});

async function twoCopies<T>(load: () => Promise<T>): Promise<[T, T]> {
  vi.resetModules();
  const a = await load();
  vi.resetModules();
  const b = await load();
  expect(a).not.toBe(b);
  return [a, b];
}

describe("state that is one per process, with two copies of the engine loaded", () => {
  it("a lock held through one copy is held for the other: it conflicts and is never pruned as a leftover", async () => {
    const [a, b] = await twoCopies(() => import("./file-lock"));
    const lock = path.join(home, "run", "datastore.cfg");
    const guard = await a.lockNamed(lock, 0);
    const holders = readdirSync(lock);
    await expect(b.lockNamed(lock, 0)).rejects.toThrow(`Unable to acquire lock ${JSON.stringify(lock)} - held by pid ${process.pid}`);
    await expect(b.acquireLock(lock, { mode: "shared" })).rejects.toThrow("Unable to acquire lock");
    expect(readdirSync(lock)).toEqual(holders);
    expect(guard.lost).toBeUndefined();
    await guard.release();
    const again = await b.lockNamed(lock, 0);
    await again.release();
  });

  it("waiters of one copy queue behind holders of the other", async () => {
    const [a, b] = await twoCopies(() => import("./file-lock"));
    const lock = path.join(home, "run", "tasks.lck");
    const first = await a.lockNamed(lock, 0);
    const order: string[] = [];
    const second = b.lockNamed(lock, 10_000).then((g) => {
      order.push("second");
      return g;
    });
    // Queued in this process behind the first holder, so it announces itself as a waiter.
    const waiters = await twoCopies(() => import("./lock-waiters"));
    expect(waiters[0].hasLockWaiters(lock)).toBe(true);
    order.push("first released");
    await first.release();
    await (await second).release();
    expect(order).toEqual(["first released", "second"]);
  });

  it("task ids count on across copies", async () => {
    const [a, b] = await twoCopies(() => import("../tasks/core/upid"));
    const id = (m: typeof a) => m.createUpid("garbage_collection", "store1", "root@pam").taskId;
    const ids = [id(a), id(b), id(a)];
    expect(new Set(ids).size).toBe(3);
  });
});
