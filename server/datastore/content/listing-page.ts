/**
 * Paged, filtered and sorted content lists for the console (beyond PBS, whose UI loads every
 * snapshot of a namespace at once): a namespace with 10,000 groups or a group with 5,000
 * snapshots is shown a page at a time. Reads only; no locks (a listing is a snapshot of the
 * directory tree, as PBS's listings are).
 *
 * Cost: groups are listed by name (two readdirs per type); only the page's groups are read in
 * full. A text filter reads every group's owner and notes (cached, checked against the group
 * directory's mtime: see filterText); sorting by anything but the name reads every (filtered)
 * group in full.
 */
import { assertGroupExists, listGroups, readGroupNotes } from "./group";
import { typeDirRel } from "../storage/layout";
import { assertNamespaceExists } from "./namespace";
import { lockedNames, noneLocked, ownerOrUndefined, present, readGroupListItem, snapshotListItem, unlessVanished, withMovingNow, type LockFolder } from "./listing";
import { type BackupNamespace, type GroupRef, groupPath } from "../model/names";
import { readStoreOf, type ReadHandle } from "../open";
import { listSnapshotTimes } from "./snapshot";
import type { Store } from "../storage/store";
import type { StatInfo } from "../storage/backend";
import { cacheable, remember } from "./racy-mtime";
import type { GroupListItem, SnapshotListItem } from "../model/types";

export const GROUP_SORTS = ["name", "last-backup", "backup-count", "owner"] as const;
export type GroupSort = (typeof GROUP_SORTS)[number];

export interface GroupPageOptions {
  /** Case-insensitive substring of `type/id`, the owner or the notes (any line). */
  filter?: string;
  sort?: GroupSort;
  /** Descending order (newest / most / Z first). */
  desc?: boolean;
  offset: number;
  limit: number;
  /** Keeps only groups whose owner passes (the API's owner limit); reads every group's owner. */
  ownerFilter?: (owner: string | undefined) => boolean;
  /**
   * False when the caller knows that no move runs on the datastore (its task list has none):
   * then no row is looked at for a move's lock. A namespace that has seen moves keeps a lock
   * directory for every group, and a page read each of them (50 directory reads a page).
   */
  movesMayRun?: boolean;
}

export interface Page<T> {
  items: T[];
  /** How many items match (over all pages). */
  total: number;
}

/** Runs `fn` over `items` with at most `width` calls in flight, keeping the order. */
export async function mapLimited<T, R>(items: readonly T[], width: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return out;
}

/**
 * Reads in flight per listing. Node runs file-system calls on 4 threads (libuv's pool): more in
 * flight than that makes one request no faster, but puts every other request's reads behind
 * its queue (under 50 clients, 32 per request made the cheapest requests wait seconds).
 */
export const PARALLEL_READS = 4;

/**
 * `count` values, each from `cached(i)` when it has one (undefined: a miss; null: nothing
 * needed), else from `read(i)`, PARALLEL_READS at a time. The hits are taken synchronously: at
 * 10,000 groups, an await per hit costs more than the lookups themselves.
 */
async function cachedOrRead<T>(count: number, cached: (i: number) => T | null | undefined, read: (i: number) => Promise<T>): Promise<(T | null)[]> {
  const out = new Array<T | null>(count);
  const misses: number[] = [];
  for (let i = 0; i < count; i++) {
    const hit = cached(i);
    if (hit === undefined) misses.push(i);
    else out[i] = hit;
  }
  await mapLimited(misses, PARALLEL_READS, async (i) => {
    out[i] = await read(i);
  });
  return out;
}

/**
 * What a filter reads of a group (owner and notes), cached by the group directory's absolute
 * path and checked against its mtime, so paging through a filtered namespace of 10,000 groups
 * stats each group (in one batch: statMany) instead of reading two files of each per page.
 * Both files are only ever created or replaced by rename (writeFileAtomic, createFileExclusive,
 * as PBS's replace_file), which changes the directory's mtime. An entry is trusted only when the
 * directory's mtime was clearly in the past when it was read (a change within the same
 * timestamp tick would not move the mtime: the "racy git" rule), and for a few seconds at most
 * (a file edited in place by hand is seen after that).
 */
interface FilterText {
  mtimeMs: number;
  readAt: number;
  owner: string | undefined;
  ownerLower: string;
  notesLower: string;
}
const filterTextCache = new Map<string, FilterText>();
const FILTER_CACHE_TTL_MS = 10_000;

/** The group's filter text; `st` is the group directory's stat taken just before. */
function cachedFilterText({ key, st }: GroupDir, now: number): FilterText | undefined {
  const hit = filterTextCache.get(key);
  return st && hit && hit.mtimeMs === st.mtimeMs && now - hit.readAt < FILTER_CACHE_TTL_MS ? hit : undefined;
}

async function readFilterText(store: Store, ns: BackupNamespace, g: GroupRef, { key, st }: GroupDir): Promise<FilterText> {
  const now = Date.now();
  const owner = await ownerOrUndefined(store, ns, g);
  const notes = await readGroupNotes(store, ns, g).catch(() => undefined);
  const text = { mtimeMs: st?.mtimeMs ?? -1, readAt: now, owner, ownerLower: owner?.toLowerCase() ?? "", notesLower: notes?.toLowerCase() ?? "" };
  remember(filterTextCache, key, text, cacheable(st, now));
  return text;
}

/** A group directory as the caches know it: its cache key (absolute path) and its stat. */
interface GroupDir {
  key: string;
  /** undefined: gone since it was listed (moved or destroyed meanwhile). */
  st: StatInfo | undefined;
}

/** The group directories of `refs` (all in `ns`, in listGroups' order: by type), in `refs` order. */
async function groupDirs(store: Store, ns: BackupNamespace, refs: readonly GroupRef[]): Promise<GroupDir[]> {
  const out: GroupDir[] = [];
  for (let start = 0; start < refs.length; ) {
    const type = refs[start]!.type;
    let end = start;
    while (end < refs.length && refs[end]!.type === type) end++;
    const ids = refs.slice(start, end).map((g) => g.id);
    const dirRel = typeDirRel(ns, type);
    const stats = await store.backend.statEntries(dirRel, ids);
    const prefix = `${store.backend.absolute(dirRel)}/`;
    for (let i = 0; i < ids.length; i++) out.push({ key: prefix + ids[i], st: stats[i] });
    start = end;
  }
  return out;
}

export interface GroupFilter {
  /** Lower-case text to find in `type/id`, the owner or the notes (any line). */
  needle?: string;
  /** Keeps only groups whose owner passes (the API's owner limit). */
  ownerFilter?: (owner: string | undefined) => boolean;
}

/**
 * The groups of `refs` (all in `ns`) that pass the filter, in `refs` order. A group that
 * vanished since it was listed (moved or destroyed meanwhile) is left out, not an error.
 */
export async function filterGroups(store: Store, ns: BackupNamespace, refs: GroupRef[], filter: GroupFilter): Promise<GroupRef[]> {
  return (await filterWithDirs(store, ns, refs, filter)).refs;
}

/** filterGroups, with the kept groups' directories when it looked at them (a sort reuses them). */
async function filterWithDirs(
  store: Store,
  ns: BackupNamespace,
  refs: GroupRef[],
  filter: GroupFilter,
): Promise<{ refs: GroupRef[]; dirs?: GroupDir[] }> {
  const { needle, ownerFilter } = filter;
  if (!needle && !ownerFilter) return { refs };
  const dirs = await groupDirs(store, ns, refs);
  const now = Date.now();
  // Only groups the name does not decide need their text: cached, or read where the cache misses.
  const nameHit = refs.map((g) => needle !== undefined && groupPath(g).toLowerCase().includes(needle));
  const needsText = (i: number) => dirs[i]!.st !== undefined && (ownerFilter !== undefined || !nameHit[i]);
  const texts = await cachedOrRead(
    refs.length,
    (i) => (needsText(i) ? cachedFilterText(dirs[i]!, now) : null),
    (i) => readFilterText(store, ns, refs[i]!, dirs[i]!),
  );
  const keep = refs.map((_, i) => {
    const text = texts[i];
    if (dirs[i]!.st === undefined) return false;
    if (!text) return true; // the name matched
    if (ownerFilter && !ownerFilter(text.owner)) return false;
    return !needle || nameHit[i] || text.ownerLower.includes(needle) || text.notesLower.includes(needle);
  });
  return { refs: refs.filter((_, i) => keep[i]), dirs: dirs.filter((_, i) => keep[i]) };
}

/**
 * What the non-name orders compare, per group, cached like FilterText (by the group
 * directory's path, checked against its mtime, trusted only when that mtime was clearly in the
 * past): adding or removing a snapshot and replacing the owner file (always by rename) all
 * change the group directory's mtime. A backup that finishes does not (its manifest is written
 * inside the snapshot's directory), so a group whose newest snapshot is unfinished is never
 * cached: its `last-backup` may change any moment. Sorting 10,000 groups then stats each group
 * instead of reading every snapshot directory of every group per page.
 */
interface SortKeys {
  mtimeMs: number;
  lastBackup: number;
  count: number;
  owner: string;
}
const sortKeyCache = new Map<string, SortKeys>();

function cachedSortKeys({ key, st }: GroupDir): SortKeys | undefined {
  const hit = sortKeyCache.get(key);
  return st && hit && hit.mtimeMs === st.mtimeMs ? hit : undefined;
}

function sortKeysOf(item: GroupListItem, mtimeMs: number): SortKeys {
  return { mtimeMs, lastBackup: item["last-backup"], count: item["backup-count"], owner: item.owner ?? "" };
}

async function readSortKeys(store: Store, ns: BackupNamespace, g: GroupRef, dir: GroupDir): Promise<SortKeys> {
  return sortKeysOf(await readGroupItem(store, ns, g, dir), dir.st?.mtimeMs ?? -1);
}

/**
 * The page's group items, cached like SortKeys (group directory mtime, newest snapshot finished)
 * and, like FilterText, for FILTER_CACHE_TTL_MS at most: a page of 50 groups then costs a stat
 * and a look at the lock of each group instead of two directory listings and two file reads.
 * `moving` is never cached (a move holds a lock; the group directory does not change for it).
 */
interface ItemEntry {
  mtimeMs: number;
  readAt: number;
  item: GroupListItem;
}
const groupItemCache = new Map<string, ItemEntry>();

function cachedGroupItem({ key, st }: GroupDir, now: number): GroupListItem | undefined {
  const hit = groupItemCache.get(key);
  return st && hit && hit.mtimeMs === st.mtimeMs && now - hit.readAt < FILTER_CACHE_TTL_MS ? hit.item : undefined;
}

/** Reads a group's item in full and remembers it (and its sort keys) where it may. */
async function readGroupItem(store: Store, ns: BackupNamespace, g: GroupRef, { key, st }: GroupDir, locked?: LockFolder): Promise<GroupListItem> {
  const now = Date.now();
  const { item, newestFinished } = await readGroupListItem(store, ns, g, locked);
  const keep = newestFinished && cacheable(st, now);
  const mtimeMs = st?.mtimeMs ?? -1;
  remember(groupItemCache, key, { mtimeMs, readAt: now, item }, keep);
  remember(sortKeyCache, key, sortKeysOf(item, mtimeMs), keep);
  return { ...item }; // the caller's copy: the cached one stays as read
}

/**
 * The page's items, in order; a group that vanished meanwhile is left out. `known`: the page's
 * group directories as this request stat'ed them already (a filter or a sort), so each is not
 * stat'ed twice.
 */
async function pageItems(store: Store, ns: BackupNamespace, page: GroupRef[], movesMayRun: boolean, known?: GroupDir[]): Promise<GroupListItem[]> {
  const dirs = known ?? (await groupDirs(store, ns, page));
  const now = Date.now();
  const locked = movesMayRun ? lockedNames(store, ns) : noneLocked(store, ns);
  return present(
    await mapLimited(page, PARALLEL_READS, (g, i) =>
      unlessVanished(async () => {
        const hit = cachedGroupItem(dirs[i]!, now);
        return hit ? withMovingNow(store, ns, g, hit, locked) : readGroupItem(store, ns, g, dirs[i]!, locked);
      }),
    ),
  );
}

/** Forgets every cached filter text, sort key and group item (the benchmark's cold start). */
export function dropListingCaches(): void {
  filterTextCache.clear();
  sortKeyCache.clear();
  groupItemCache.clear();
}

/** `order`: the group's place in name order (listGroups' order), the tie-breaker. */
type Keyed = { ref: GroupRef; keys: SortKeys; order: number };

function compareKeyed(sort: Exclude<GroupSort, "name">) {
  const byName = (a: Keyed, b: Keyed) => a.order - b.order;
  switch (sort) {
    case "last-backup":
      return (a: Keyed, b: Keyed) => a.keys.lastBackup - b.keys.lastBackup || byName(a, b);
    case "backup-count":
      return (a: Keyed, b: Keyed) => a.keys.count - b.keys.count || byName(a, b);
    case "owner":
      return (a: Keyed, b: Keyed) => a.keys.owner.localeCompare(b.keys.owner) || byName(a, b);
  }
}

/**
 * A namespace's groups after filtering, in the page's order; only the page's groups are then
 * read in full (the other orders compare cached sort keys, see SortKeys). `dirs`, when the
 * filter or the sort stat'ed them, are the groups' directories in the same order.
 */
async function orderedGroups(
  store: Store,
  ns: BackupNamespace,
  opts: Omit<GroupPageOptions, "offset" | "limit">,
): Promise<{ refs: GroupRef[]; dirs?: GroupDir[] }> {
  await assertNamespaceExists(store, ns);
  const needle = opts.filter?.trim().toLowerCase();
  const filtered = await filterWithDirs(store, ns, await listGroups(store, ns), {
    ...(needle ? { needle } : {}),
    ...(opts.ownerFilter ? { ownerFilter: opts.ownerFilter } : {}),
  });
  const refs = filtered.refs;
  const sort = opts.sort ?? "name";
  if (sort === "name") {
    if (opts.desc) {
      refs.reverse();
      filtered.dirs?.reverse();
    }
    return { refs, ...(filtered.dirs ? { dirs: filtered.dirs } : {}) };
  }
  const dirs = filtered.dirs ?? (await groupDirs(store, ns, refs));
  // A group moved away while its keys were read is no longer in this namespace.
  const keys = await cachedOrRead(refs.length, (i) => cachedSortKeys(dirs[i]!), (i) => unlessVanished(() => readSortKeys(store, ns, refs[i]!, dirs[i]!)));
  const keyed: Keyed[] = [];
  refs.forEach((ref, i) => {
    const k = keys[i];
    if (k) keyed.push({ ref, keys: k, order: i });
  });
  const cmp = compareKeyed(sort);
  keyed.sort(opts.desc ? (a, b) => cmp(b, a) : cmp);
  return { refs: keyed.map((k) => k.ref), dirs: keyed.map((k) => dirs[k.order]!) };
}

/** One page of a namespace's groups (not recursive; empty groups included, as PBS 4.2). */
export async function pageGroups(handle: ReadHandle, ns: BackupNamespace, opts: GroupPageOptions): Promise<Page<GroupListItem>> {
  const store = readStoreOf(handle);
  const { refs, dirs } = await orderedGroups(store, ns, opts);
  const page = refs.slice(opts.offset, opts.offset + opts.limit);
  const items = await pageItems(store, ns, page, opts.movesMayRun ?? true, dirs?.slice(opts.offset, opts.offset + opts.limit));
  return { items, total: refs.length - (page.length - items.length) };
}

/** Where `group` is in pageGroups' order for the same options (-1: not there), for a link to it. */
export async function locateGroup(
  handle: ReadHandle,
  ns: BackupNamespace,
  group: GroupRef,
  opts: Omit<GroupPageOptions, "offset" | "limit">,
): Promise<number> {
  const { refs } = await orderedGroups(readStoreOf(handle), ns, opts);
  return refs.findIndex((g) => g.type === group.type && g.id === group.id);
}

export interface SnapshotPageOptions {
  offset: number;
  limit: number;
  /** Oldest first instead of newest first. */
  ascending?: boolean;
}

/** One page of a group's snapshots, newest first unless `ascending`. */
export async function pageSnapshots(
  handle: ReadHandle,
  ns: BackupNamespace,
  group: GroupRef,
  opts: SnapshotPageOptions,
): Promise<Page<SnapshotListItem>> {
  const store = readStoreOf(handle);
  await assertGroupExists(store, ns, group);
  // Moved away as a whole since the check above: as missing as if it had never been here.
  const times = (await unlessVanished(() => listSnapshotTimes(store, ns, group))) ?? (await assertGroupExists(store, ns, group), []);
  if (!opts.ascending) times.reverse();
  const page = times.slice(opts.offset, opts.offset + opts.limit);
  const owner = page.length > 0 ? await ownerOrUndefined(store, ns, group) : undefined;
  const items = present(await mapLimited(page, PARALLEL_READS, (time) => unlessVanished(() => snapshotListItem(store, ns, { ...group, time }, owner))));
  return { items, total: times.length - (page.length - items.length) };
}

/** Where the snapshot taken at `time` is in pageSnapshots' order (-1: not there). */
export async function locateSnapshot(handle: ReadHandle, ns: BackupNamespace, group: GroupRef, time: number, ascending = false): Promise<number> {
  const store = readStoreOf(handle);
  await assertGroupExists(store, ns, group);
  const times = await listSnapshotTimes(store, ns, group);
  if (!ascending) times.reverse();
  return times.indexOf(time);
}

/** What the datastore summary counts of one group. */
export interface GroupCount {
  type: GroupRef["type"];
  /** Snapshot directories (finished or not), as `backup-count` in the group list. */
  snapshots: number;
  /** Only when asked for (the summary of an owner-limited caller). */
  owner?: string;
}

/**
 * The groups of a namespace with their snapshot counts, for the datastore summary, from the
 * same per-group cache as the sorted listings (SortKeys: one stat per group when nothing
 * changed). A group that moved away meanwhile is left out; a namespace that is gone is NOT_FOUND.
 */
export async function countGroups(handle: ReadHandle, ns: BackupNamespace, withOwner: boolean): Promise<GroupCount[]> {
  const store = readStoreOf(handle);
  await assertNamespaceExists(store, ns);
  const refs = await listGroups(store, ns);
  const dirs = await groupDirs(store, ns, refs);
  const keys = await cachedOrRead(refs.length, (i) => cachedSortKeys(dirs[i]!), (i) => unlessVanished(() => readSortKeys(store, ns, refs[i]!, dirs[i]!)));
  const out: GroupCount[] = [];
  refs.forEach((g, i) => {
    const k = keys[i];
    if (!k) return;
    out.push(withOwner && k.owner !== "" ? { type: g.type, snapshots: k.count, owner: k.owner } : { type: g.type, snapshots: k.count });
  });
  return out;
}
