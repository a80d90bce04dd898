/**
 * An exclusive lock for config files across processes (PBS's `.datastore.lck`: exclusive, up
 * to 10 s). Callers in one process first queue in memory, so a busy console never polls its
 * own lock; across processes proper-lockfile's lock directory decides, dropped as stale when its
 * holder stopped refreshing it for 10 s (a killed process). This is deliberately not the
 * engine's lock (server/datastore/locking): config sits below the engine and imports nothing
 * from it but the pure model.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import lockfile from "proper-lockfile";
import { CofferError } from "../datastore/model/errors";

const STALE_MS = 10_000;
const queues = new Map<string, Promise<unknown>>();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `fn` holding the lock named by `lockDir` (a directory proper-lockfile creates). Waits up
 * to `timeoutMs` for other processes; throws CONFLICT `unable to acquire lock ...` then. `fn`
 * must be short: config reads and writes, never datastore I/O.
 */
export async function withFileLock<T>(lockDir: string, fn: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const previous = queues.get(lockDir) ?? Promise.resolve();
  let done!: () => void;
  const mine = new Promise<void>((r) => (done = r));
  const tail = previous.then(() => mine);
  queues.set(lockDir, tail);
  try {
    await previous;
    const release = await acquire(lockDir, timeoutMs);
    try {
      return await fn();
    } finally {
      await release().catch(() => undefined);
    }
  } finally {
    done();
    if (queues.get(lockDir) === tail) queues.delete(lockDir);
  }
}

async function acquire(lockDir: string, timeoutMs: number): Promise<() => Promise<void>> {
  mkdirSync(path.dirname(lockDir), { recursive: true, mode: 0o755 });
  const deadline = Date.now() + timeoutMs;
  for (let wait = 5; ; wait = Math.min(wait * 2, 100)) {
    try {
      return await lockfile.lock(lockDir, {
        realpath: false,
        lockfilePath: lockDir,
        stale: STALE_MS,
        update: STALE_MS / 4,
        retries: 0,
        // A holder that lost its lock (stalled past the stale time) finds out on release.
        onCompromised: () => undefined,
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ELOCKED") throw err;
      if (Date.now() >= deadline) {
        throw new CofferError("CONFLICT", `unable to acquire lock ${JSON.stringify(lockDir)} - held by another process for over ${Math.round(timeoutMs / 1000)} s`);
      }
      await sleep(wait);
    }
  }
}
