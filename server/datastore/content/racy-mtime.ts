/**
 * When something read from a directory may be kept until the directory's mtime changes (the
 * listing caches in listing-page.ts, the lock directories in listing.ts): only when that mtime
 * was clearly in the past when it was read. A change within the same tick of the clock the
 * kernel stamps files with would not move the mtime (the "racy git" rule).
 */
import type { StatInfo } from "../storage/backend";

/**
 * How far in the past a directory's mtime must be for an entry read now to be kept: more than
 * one tick of the clock the kernel stamps files with (4-10 ms), or, on a file system that keeps
 * whole seconds (ext3, FAT, some NFS servers: every mtime a whole second), more than one of
 * those. It was 1 s for all: a namespace that a move had just filled was then read anew by every
 * request for that second, which under moves back and forth was always (bench/soak.ts).
 */
const RACY_MS = 50;
const RACY_COARSE_MS = 2_000;

/** Whether an entry read `now` of a directory last changed at `st.mtimeMs` may be kept. */
export function cacheable(st: Pick<StatInfo, "mtimeMs"> | undefined, now: number): boolean {
  if (st === undefined) return false;
  const racy = st.mtimeMs % 1000 === 0 ? RACY_COARSE_MS : RACY_MS;
  return st.mtimeMs < now - racy;
}

/** Entries a cache of directory reads holds before it starts over: a bound on memory. */
const CACHE_MAX = 200_000;

/** Keeps `value` under `key` when `keep` (see cacheable), else forgets the key. */
export function remember<T>(cache: Map<string, T>, key: string, value: T, keep: boolean): void {
  if (!keep) {
    cache.delete(key);
    return;
  }
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(key, value);
}
