/**
 * One computation shared by every caller that asks within a short window: the first caller
 * starts it, callers arriving less than `maxAgeMs` after that start get the same promise. For
 * expensive read-only answers that 50 console clients ask at once (the datastore summary's
 * counts), where an answer up to `maxAgeMs` older than the question is as good as a fresh one.
 *
 * With `staleMs`, a caller who comes while a computation runs gets the last result at once if
 * that one finished less than `staleMs` ago, instead of waiting for the new one. Under a move
 * a count of the whole store took over a second, and every summary request queued behind it
 * and answered in the same instant (docs/benchmarks.md, the soak).
 *
 * A failed computation is not kept, nor what came before it: the next caller starts anew.
 */
interface Entry<T> {
  startedAt: number;
  promise: Promise<T>;
  running: boolean;
  /** The last computation that succeeded, and when it finished. */
  last?: { value: T; at: number };
}

export interface RecentWindow {
  maxAgeMs: number;
  staleMs?: number;
}

const entries = new Map<string, Entry<unknown>>();

export function recentResult<T>(key: string, window: RecentWindow, compute: () => Promise<T>, now: () => number = Date.now): Promise<T> {
  const at = now();
  const staleMs = window.staleMs ?? 0;
  let entry = entries.get(key) as Entry<T> | undefined;
  if (!entry || at - entry.startedAt >= window.maxAgeMs) {
    const started: Entry<T> = { startedAt: at, promise: compute(), running: true, last: entry?.last };
    entries.set(key, started);
    started.promise.then(
      (value) => {
        started.running = false;
        started.last = { value, at: now() };
        // Dropped once too old to serve, so keys of removed datastores do not pile up.
        setTimeout(() => {
          if (entries.get(key) === started) entries.delete(key);
        }, Math.max(window.maxAgeMs, staleMs)).unref();
      },
      () => {
        started.running = false;
        if (entries.get(key) === started) entries.delete(key);
      },
    );
    entry = started;
  }
  if (entry.running && entry.last !== undefined && at - entry.last.at < staleMs) return Promise.resolve(entry.last.value);
  return entry.promise;
}
