/**
 * Named locks (config, active operations, task lists) inside one process: waiters line up first
 * come, first served instead of polling each other out (issue 12: the server contended with
 * itself under load and answered CONFLICT and 500). Real lock directories on tmpfs.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LockConflictError } from "../datastore/model/errors";
import { lockNamed } from "./file-lock";

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(path.join(existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir(), "coffer-named-lock-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("lockNamed in one process", () => {
  it("hands the lock to 50 waiters in the order they asked, none timing out", async () => {
    const lock = path.join(dir, "config.lock");
    const first = await lockNamed(lock);
    const order: number[] = [];
    const waiters = Array.from({ length: 50 }, (_, i) =>
      lockNamed(lock, 5_000).then(async (guard) => {
        order.push(i);
        await guard.release();
      }),
    );
    await first.release();
    await Promise.all(waiters);
    expect(order).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it("a waiter that gives up says who holds the lock, and the queue behind it goes on", async () => {
    const lock = path.join(dir, "active.lock");
    const holder = await lockNamed(lock);
    const impatient = lockNamed(lock, 50);
    const patient = lockNamed(lock, 5_000);
    const err = await impatient.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockConflictError);
    expect((err as Error).message).toMatch(new RegExp(`^Unable to acquire lock ".*active\\.lock" - held by .*pid ${process.pid}`));
    await holder.release();
    const next = await patient;
    expect(next.mode).toBe("exclusive");
    await next.release();
  });
});
