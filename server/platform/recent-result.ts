/**
 * One computation shared by every caller that asks within a short window: the first caller
 * starts it, callers arriving less than `maxAgeMs` after that start get the same promise. For
 * expensive read-only answers that 50 console clients ask at once (the datastore summary's
 * counts), where an answer up to `maxAgeMs` older than the question is as good as a fresh one.
 * A failed computation is not kept: the next caller starts a new one.
 */
interface Entry<T> {
  startedAt: number;
  promise: Promise<T>;
}

const entries = new Map<string, Entry<unknown>>();

export function recentResult<T>(key: string, maxAgeMs: number, compute: () => Promise<T>, now: () => number = Date.now): Promise<T> {
  const at = now();
  const hit = entries.get(key) as Entry<T> | undefined;
  if (hit && at - hit.startedAt < maxAgeMs) return hit.promise;
  const promise = compute();
  const entry: Entry<T> = { startedAt: at, promise };
  entries.set(key, entry);
  promise.then(
    () => {
      // Dropped once too old, so keys of removed datastores do not pile up.
      setTimeout(() => {
        if (entries.get(key) === entry) entries.delete(key);
      }, maxAgeMs).unref();
    },
    () => {
      if (entries.get(key) === entry) entries.delete(key);
    },
  );
  return promise;
}
