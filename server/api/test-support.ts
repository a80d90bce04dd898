/**
 * Router tests run against a real COFFER_HOME holding the demo datastore, written by the engine
 * through the CLI (`coffer demo ensure`), never a fake. Each test file gets its own directory,
 * on tmpfs when there is one (creating a chunk store's 65,536 directories is slow on disk).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll } from "vitest";
import { LOCAL_CALLER } from "./auth-middleware";
import { createInnerContext } from "./init";
import { createCaller } from "./root";

const COFFER = path.resolve("bin/coffer");

/** Runs `bin/coffer` against the test's COFFER_HOME; throws with its stderr on failure. */
export function coffer(home: string, ...args: string[]): string {
  return execFileSync(COFFER, args, { env: { ...process.env, COFFER_HOME: home }, encoding: "utf8" });
}

/**
 * Prepares a temporary COFFER_HOME with the demo store for the calling test file and points the
 * engine at it (the engine reads COFFER_HOME at call time). Returns a getter for its path.
 */
export function useDemoHome(): { home: () => string } {
  let home = "";
  const previous = process.env.COFFER_HOME;
  beforeAll(() => {
    home = mkdtempSync(path.join(existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir(), "coffer-api-test-"));
    coffer(home, "demo", "ensure");
    process.env.COFFER_HOME = home;
  });
  afterAll(() => {
    if (previous === undefined) delete process.env.COFFER_HOME;
    else process.env.COFFER_HOME = previous;
    if (home) rmSync(home, { recursive: true, force: true });
  });
  return { home: () => home };
}

/** A caller with the inner context: procedures without HTTP, as the local superuser root@pam. */
export function caller() {
  return createCaller(createInnerContext({ caller: LOCAL_CALLER }));
}

/**
 * Procedures without HTTP as `authId` (a user or token that must exist in the test's
 * COFFER_HOME for the checks to pass), or as nobody when undefined.
 */
export function callerAs(authId: string | undefined) {
  return createCaller(createInnerContext({ caller: authId ? { authId, via: "session" } : { via: "none" } }));
}

/** The tRPC code of a rejected call, for `await expect(...).rejects` style checks. */
export async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}
