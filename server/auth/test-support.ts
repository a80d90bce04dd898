/**
 * Each auth test gets its own COFFER_HOME on tmpfs (when there is one), created before and
 * removed after every test; the auth files are real files there, nothing is mocked.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach } from "vitest";

export function useAuthHome(): { home: () => string } {
  let home = "";
  const previous = process.env.COFFER_HOME;
  beforeEach(() => {
    home = mkdtempSync(path.join(existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir(), "coffer-auth-test-"));
    process.env.COFFER_HOME = home;
  });
  afterEach(() => {
    if (previous === undefined) delete process.env.COFFER_HOME;
    else process.env.COFFER_HOME = previous;
    if (home) rmSync(home, { recursive: true, force: true });
  });
  return { home: () => home };
}

/** The error a synchronous call throws (fails the test when it throws nothing). */
export function thrown(fn: () => unknown): { code?: string; message: string } {
  try {
    fn();
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error("expected the call to throw");
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejected(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error("expected the promise to reject");
}

export function fileMode(file: string): number {
  return statSync(file).mode & 0o777;
}
