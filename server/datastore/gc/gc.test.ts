import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { createDatastore, removeDatastore } from "../lifecycle";
import { paths } from "../../config/paths";
import { CofferError } from "../model/errors";
import { decodeChunk } from "../format/blob";
import { garbageCollection, gcCutoff, type GcOptions, readGcStatus, zeroChunk } from "./gc";
import { DigestLru } from "./gc-mark";
import { gcSummaryLines, humanByte, emptyGcStatus, timeSpan } from "./gc-status";
import { collectingLog } from "../model/log";
import { BackupNamespace } from "../model/names";
import { appendToMoveJournal, readMoveJournal, snapshotDirEntry } from "../move/move-journal";
import { openDatastore, storeOf } from "../open";
import {
  ageAllChunks,
  checkAllIndexes,
  chunkFile,
  indexDigests,
  insertOrphan,
  setAtimeAgo,
} from "../test-support/gc-chunks";
import { useTempStore, withWrite, writeSnapshot, type TempStore } from "../test-support/temp-store";
import { registerWriter } from "../state/writers";

const UPID = "UPID:testnode:00001234:00000001:00000000:65000000:garbage_collection:store1:root@pam:";
const T0 = 1_700_000_000;
const DAY = 86400;
const KiB64 = 64 * 1024;
/** Size of a stored 64 KiB chunk: the DataBlob header adds 12 bytes. */
const CHUNK_FILE = KiB64 + 12;

let t: TempStore;

/**
 * Runs GC on the test store. The atime safety check (a 1 s sleep) is skipped except where a
 * test asks for it: these tests run GC about twenty times.
 */
async function runGc(opts: Partial<GcOptions> = {}, store = t.name) {
  const log = collectingLog();
  const ds = await openDatastore(store, "write");
  try {
    const status = await garbageCollection(ds, { upid: UPID, log, skipAtimeCheck: true, ...opts });
    return { status, log, lines: log.lines.map((l) => l.message) };
  } finally {
    await ds.close();
  }
}

/** The absolute path of a snapshot's image index. */
const imageIndex = (nsPath: string, group: string, time: number) =>
  path.join(t.path, nsPath, group, new Date(time * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"), "disk.img.fidx");

describe("garbage collection", () => {
  beforeEach(async () => {
    t = await useTempStore();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it("keeps the chunks of live snapshots, removes old unreferenced ones and reports it as PBS does", async () => {
    const a = randomBytes(3 * KiB64);
    // The second backup shares its first two chunks with the first (deduplicated).
    const b = Buffer.concat([a.subarray(0, 2 * KiB64), randomBytes(KiB64)]);
    const orphans = await withWrite(t.name, async (ds) => {
      await writeSnapshot(ds, "", "vm/100", T0, { image: a });
      await writeSnapshot(ds, "", "vm/100", T0 + 60, { image: b });
      const store = storeOf(ds);
      return [await insertOrphan(store), await insertOrphan(store), await insertOrphan(store)];
    });
    ageAllChunks(t.path, 2 * DAY);

    const { status, lines } = await runGc();

    for (const hex of orphans) expect(existsSync(chunkFile(t.path, hex))).toBe(false);
    const check = checkAllIndexes(t.path);
    expect(check).toMatchObject({ indexes: 2, chunks: 6, missing: [], corrupt: [] });
    expect(status).toEqual({
      upid: UPID,
      "index-file-count": 2,
      "index-data-bytes": 6 * KiB64,
      "disk-bytes": 4 * CHUNK_FILE,
      "disk-chunks": 4,
      "removed-bytes": 3 * 1036,
      "removed-chunks": 3,
      "pending-bytes": 0,
      "pending-chunks": 0,
      "removed-bad": 0,
      "still-bad": 0,
      // Newest snapshot first: 3 misses, then the older one's two shared chunks hit the cache.
      "cache-stats": { hits: 2, misses: 4 },
    });
    expect(lines).toEqual(
      expect.arrayContaining([
        "Access time update check skipped (test option), proceeding with GC.",
        "Start GC phase1 (mark used chunks)",
        "marked 50% (1 of 2 index files)",
        "marked 100% (2 of 2 index files)",
        "Start GC phase2 (sweep unused chunks)",
      ]),
    );
    expect(lines.filter((l) => /^processed \d+% \(\d+ chunks\)$/.test(l))).toHaveLength(99);
    expect(lines.find((l) => l.startsWith("Using access time cutoff"))).toMatch(
      /^Using access time cutoff 1d 5m, minimum access time is \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    );
    // The summary, exactly and in PBS's order, at the end of the log.
    expect(lines.slice(-8)).toEqual([
      "Chunk cache: hits 2, misses 4 (hit ratio 33.33%)",
      "Removed garbage: 3.035 KiB",
      "Removed chunks: 3",
      "Original data usage: 384 KiB",
      "On-Disk usage: 256.047 KiB (66.68%)",
      "On-Disk chunks: 4",
      "Deduplication factor: 1.50",
      "Average chunk size: 64.012 KiB",
    ]);

    // `.gc-status`: the same document, with PBS's keys, read back for `coffer gc status`.
    const onDisk = JSON.parse(readFileSync(path.join(t.path, ".gc-status"), "utf8"));
    expect(onDisk).toEqual(status);
    expect((statSync(path.join(t.path, ".gc-status")).mode & 0o777).toString(8)).toBe("644");
    const read = await withWrite(t.name, async (ds) => readGcStatus(ds));
    expect(read).toEqual(status);
  });

  it("has no status before the first run", async () => {
    expect(await withWrite(t.name, async (ds) => readGcStatus(ds))).toBeUndefined();
  });

  it("keeps recent unreferenced chunks as pending and removes only those past the cutoff", async () => {
    const { recent, old } = await withWrite(t.name, async (ds) => {
      await writeSnapshot(ds, "", "ct/7", T0, { image: randomBytes(KiB64) });
      return { recent: await insertOrphan(storeOf(ds)), old: await insertOrphan(storeOf(ds)) };
    });
    ageAllChunks(t.path, 2 * DAY);
    setAtimeAgo([chunkFile(t.path, recent)], 3600); // touched an hour ago: within 24h5m

    const { status, lines } = await runGc();

    expect(existsSync(chunkFile(t.path, recent))).toBe(true);
    expect(existsSync(chunkFile(t.path, old))).toBe(false);
    expect(status).toMatchObject({ "pending-chunks": 1, "pending-bytes": 1036, "removed-chunks": 1, "disk-chunks": 1 });
    expect(lines).toContain("Pending removals: 1.012 KiB (in 1 chunks)");

    // With a one-minute cutoff, the hour-old chunk is past it.
    const second = await runGc({ cutoffMinutes: 1 });
    expect(existsSync(chunkFile(t.path, recent))).toBe(false);
    expect(second.status["removed-chunks"]).toBe(1);
    expect(second.lines.some((l) => l.startsWith("Using access time cutoff 1m, minimum access time is "))).toBe(true);
  });

  it("keeps what a running writer may still need: the cutoff moves back to its start minus 5 minutes", async () => {
    const hexes = await withWrite(t.name, async (ds) => [
      await insertOrphan(storeOf(ds)),
      await insertOrphan(storeOf(ds)),
      await insertOrphan(storeOf(ds)),
    ]);
    const [afterStart, inGap, beforeGap] = hexes as [string, string, string];
    // A writer that started three days ago (registered now, its start moved back in the registry).
    const writer = await registerWriter(t.name);
    const file = paths.writers(t.name);
    const entries = JSON.parse(readFileSync(file, "utf8")) as Array<{ started: number }>;
    const started = Date.now() - 3 * DAY * 1000;
    writeFileSync(file, JSON.stringify(entries.map((e) => ({ ...e, started }))));
    try {
      setAtimeAgo([chunkFile(t.path, afterStart)], 3 * DAY - 100); // touched after the writer started
      setAtimeAgo([chunkFile(t.path, inGap)], 3 * DAY + 100); // in the 5-minute gap before it
      setAtimeAgo([chunkFile(t.path, beforeGap)], 3 * DAY + 400); // before the gap

      const { status, lines } = await runGc();

      expect(existsSync(chunkFile(t.path, afterStart))).toBe(true);
      expect(existsSync(chunkFile(t.path, inGap))).toBe(true);
      expect(existsSync(chunkFile(t.path, beforeGap))).toBe(false);
      expect(status).toMatchObject({ "disk-chunks": 1, "pending-chunks": 1, "removed-chunks": 1 });
      const writerStart = new Date(Math.floor(started / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
      const minAtime = new Date((Math.floor(started / 1000) - 300) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
      expect(lines).toContain(`Oldest backup writer started at ${writerStart}, extending minimum access time to ${minAtime}`);
    } finally {
      await writer.unregister();
    }
    // Without the writer, the default cutoff applies again and both go.
    const after = await runGc();
    expect(after.status["removed-chunks"]).toBe(2);
    expect(existsSync(chunkFile(t.path, afterStart))).toBe(false);
  });

  it("counts bad chunks: touched while an index still wants the chunk, removed or left over otherwise", async () => {
    const { missingHex, oldBad, recentBad, index } = await withWrite(t.name, async (ds) => {
      await writeSnapshot(ds, "", "vm/100", T0, { image: randomBytes(3 * KiB64) });
      const index = imageIndex("", "vm/100", T0);
      const wanted = indexDigests(index)[0]!;
      await ds.markChunkBad(wanted); // verify found it corrupt: the index now misses it
      const x = await insertOrphan(storeOf(ds));
      const y = await insertOrphan(storeOf(ds));
      await ds.markChunkBad(Buffer.from(x, "hex"));
      await ds.markChunkBad(Buffer.from(y, "hex"));
      return { missingHex: wanted.toString("hex"), oldBad: `${chunkFile(t.path, x)}.0.bad`, recentBad: `${chunkFile(t.path, y)}.0.bad`, index };
    });
    ageAllChunks(t.path, 2 * DAY);
    setAtimeAgo([recentBad], 3600);

    const { status, log, lines } = await runGc();

    expect(log.lines).toContainEqual({
      level: "warn",
      message: `warning: unable to access non-existent chunk ${missingHex}, required by ${JSON.stringify(index)}`,
    });
    expect(existsSync(`${chunkFile(t.path, missingHex)}.0.bad`)).toBe(true); // kept as evidence
    expect(existsSync(oldBad)).toBe(false);
    expect(existsSync(recentBad)).toBe(true);
    // Two good chunks and the touched bad file are in use; bad files are not counted as chunks.
    expect(status).toMatchObject({ "removed-bad": 1, "still-bad": 1, "disk-chunks": 2, "disk-bytes": 3 * CHUNK_FILE });
    expect(status["pending-bytes"]).toBe(1036);
    expect(lines).toEqual(expect.arrayContaining(["Removed bad chunks: 1", "Leftover bad chunks: 1"]));
  });

  it("marks the indexes the move journal names, skips missing entries and truncates it", async () => {
    const hidden = path.join(t.path, ".hidden", "disk.img.fidx");
    const hiddenSnapshot = path.join(t.path, ".moved", "vm", "300", "2023-11-14T22:13:20Z");
    await withWrite(t.name, async (ds) => {
      await writeSnapshot(ds, "", "vm/100", T0, { image: randomBytes(KiB64) });
      await writeSnapshot(ds, "", "vm/200", T0, { image: randomBytes(2 * KiB64) });
      await writeSnapshot(ds, "", "vm/300", T0, { image: randomBytes(3 * KiB64) });
    });
    // Only the journal knows these: the listing skips dot directories. One entry names an index
    // file (PBS's form), one a whole snapshot directory (what Coffer's moves write).
    mkdirSync(path.dirname(hidden));
    renameSync(imageIndex("", "vm/200", T0), hidden);
    mkdirSync(path.dirname(hiddenSnapshot), { recursive: true });
    renameSync(path.dirname(imageIndex("", "vm/300", T0)), hiddenSnapshot);
    const hiddenInSnapshot = path.join(hiddenSnapshot, path.basename(imageIndex("", "vm/300", T0)));
    const ghost = path.join(t.path, "ns", "gone", "vm", "1", "2020-01-01T00:00:00Z", "disk.img.fidx");
    const ghostSnapshot = snapshotDirEntry(path.join(t.path, "ns", "gone", "vm", "2", "2020-01-01T00:00:00Z"));
    await appendToMoveJournal(t.name, [hidden, ghost, snapshotDirEntry(hiddenSnapshot), ghostSnapshot]);
    ageAllChunks(t.path, 2 * DAY);

    const { status, lines } = await runGc();

    for (const f of [hidden, hiddenInSnapshot]) {
      for (const d of indexDigests(f)) expect(existsSync(chunkFile(t.path, d.toString("hex")))).toBe(true);
    }
    expect(status["index-file-count"]).toBe(3);
    expect(status["removed-chunks"]).toBe(0);
    expect(lines).toContain("marked chunks of 2 moved index files from the move journal (4 entries)");
    expect(await readMoveJournal(t.name)).toEqual([]);
    expect(statSync(paths.moveJournal(t.name)).size).toBe(0);

    // The journal was what kept them: with it drained, the next run removes them.
    ageAllChunks(t.path, 2 * DAY);
    const next = await runGc();
    expect(next.status["removed-chunks"]).toBe(5);
    for (const f of [hidden, hiddenInSnapshot]) {
      for (const d of indexDigests(f)) expect(existsSync(chunkFile(t.path, d.toString("hex")))).toBe(false);
    }
  });

  it("fails without truncating the journal when marking an entry fails, and sweeps nothing", async () => {
    const corrupt = path.join(t.path, ".hidden", "broken.fidx");
    mkdirSync(path.dirname(corrupt));
    writeFileSync(corrupt, randomBytes(5000));
    const orphan = await withWrite(t.name, async (ds) => insertOrphan(storeOf(ds)));
    await appendToMoveJournal(t.name, [corrupt]);
    ageAllChunks(t.path, 2 * DAY);

    const err = await runGc().catch((e: unknown) => e);

    expect(err).toBeInstanceOf(CofferError);
    expect((err as Error).message).toMatch(
      new RegExp(`^marking used chunks failed: move-journal: processing '${corrupt.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}' failed: can't open fixed index`),
    );
    expect(await readMoveJournal(t.name)).toEqual([corrupt]);
    expect(existsSync(chunkFile(t.path, orphan))).toBe(true);
  });

  it("marks index files outside the directory scheme and warns about them", async () => {
    await withWrite(t.name, async (ds) => writeSnapshot(ds, "", "vm/100", T0, { image: randomBytes(2 * KiB64) }));
    const stray = path.join(t.path, "stray", "disk.img.fidx");
    mkdirSync(path.dirname(stray));
    renameSync(imageIndex("", "vm/100", T0), stray);
    ageAllChunks(t.path, 2 * DAY);

    const { status, log } = await runGc();

    for (const d of indexDigests(stray)) expect(existsSync(chunkFile(t.path, d.toString("hex")))).toBe(true);
    expect(status).toMatchObject({ "removed-chunks": 0, "disk-chunks": 2, "index-file-count": 1 });
    const warnings = log.lines.filter((l) => l.level === "warn").map((l) => l.message);
    expect(warnings).toEqual([
      `Marked chunks for unexpected index file at '${JSON.stringify(stray)}'`,
      "Found 1 index files outside of expected directory scheme",
    ]);
  });

  it("refuses a second GC on the same datastore while one runs", async () => {
    let resume!: () => void;
    const paused = new Promise<void>((r) => (resume = r));
    let reached!: () => void;
    const atPause = new Promise<void>((r) => (reached = r));
    const first = runGc({ hooks: { afterIndexList: async () => { reached(); await paused; } } });
    await atPause;

    const err = await runGc().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CofferError);
    expect((err as CofferError).code).toBe("CONFLICT");
    expect((err as Error).message).toMatch(/^Start GC failed - \(already running\/locked\): Unable to acquire lock .* held by pid \d+/);

    resume();
    await expect(first).resolves.toMatchObject({ status: { upid: UPID } });
    await expect(runGc()).resolves.toBeDefined(); // the lock is free again
  });

  it("ends with `abort requested - aborting task` when aborted, removing nothing", async () => {
    const orphan = await withWrite(t.name, async (ds) => insertOrphan(storeOf(ds)));
    ageAllChunks(t.path, 2 * DAY);
    const abort = new AbortController();

    const err = await runGc({ signal: abort.signal, hooks: { afterIndexList: async () => abort.abort() } }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(CofferError);
    expect((err as CofferError).code).toBe("ABORTED");
    expect((err as Error).message).toBe("abort requested - aborting task");
    expect(existsSync(chunkFile(t.path, orphan))).toBe(true);
    expect(existsSync(path.join(t.path, ".gc-status"))).toBe(false);
    // The aborted run released its lock; a new one removes the orphan.
    expect((await runGc()).status["removed-chunks"]).toBe(1);
  });

  it("collects a PBS-format datastore attached with --reuse", async () => {
    const orphan = await withWrite(t.name, async (ds) => {
      await ds.createNamespace(BackupNamespace.root, "team");
      await writeSnapshot(ds, "team", "host/web", T0, { image: randomBytes(2 * KiB64) });
      await writeSnapshot(ds, "", "vm/100", T0, { image: randomBytes(KiB64) });
      return insertOrphan(storeOf(ds));
    });
    await removeDatastore(t.name); // forget it, keep the data
    await createDatastore("attached", { path: t.path, reuse: true });
    ageAllChunks(t.path, 2 * DAY);

    const { status } = await runGc({}, "attached");

    expect(existsSync(chunkFile(t.path, orphan))).toBe(false);
    expect(checkAllIndexes(t.path)).toMatchObject({ indexes: 2, chunks: 3, missing: [], corrupt: [] });
    expect(status).toMatchObject({ "index-file-count": 2, "disk-chunks": 3, "removed-chunks": 1 });
  });

  it("runs the atime safety check with PBS's zstd-compressed zero chunk", async () => {
    const { lines, status } = await runGc({ skipAtimeCheck: false });

    expect(lines).toContain("Access time update check successful, proceeding with GC.");
    const { digest, blob } = zeroChunk();
    const file = chunkFile(t.path, digest.toString("hex"));
    expect(readFileSync(file)).toEqual(blob);
    expect(blob.length).toBe(149);
    const data = decodeChunk(readFileSync(file), digest);
    expect(data.length).toBe(4 * 1024 * 1024);
    expect(data.every((b) => b === 0)).toBe(true);
    // Touched by the check, so in use and kept.
    expect(status).toMatchObject({ "disk-chunks": 1, "disk-bytes": 149 });
  });

  it("refuses tuning values outside PBS's ranges", async () => {
    await expect(runGc({ cutoffMinutes: 0 })).rejects.toThrow(/invalid gc-atime-cutoff 0/);
    await expect(runGc({ cutoffMinutes: 2881 })).rejects.toThrow(/invalid gc-atime-cutoff 2881/);
    await expect(runGc({ cacheCapacity: 8 * 1024 * 1024 + 1 })).rejects.toThrow(/invalid gc-cache-capacity/);
  });
});

describe("gc arithmetic and formats", () => {
  it("computes PBS's cutoff: 86700 s by default, moved to oldest writer - 300 s when that is older", () => {
    const now = 1_800_000_000;
    expect(gcCutoff(now, now)).toEqual({ cutoff: 86700, minAtime: now - 86700, extended: false });
    expect(gcCutoff(now, now - 86700)).toEqual({ cutoff: 86700, minAtime: now - 86700, extended: false });
    expect(gcCutoff(now, now - 86701)).toEqual({ cutoff: 86700, minAtime: now - 86701 - 300, extended: true });
    expect(gcCutoff(now, now, 1)).toEqual({ cutoff: 60, minAtime: now - 60, extended: false });
    expect(gcCutoff(now, now - 3600, 30)).toEqual({ cutoff: 1800, minAtime: now - 3900, extended: true });
  });

  it("prints sizes as PBS's HumanByte and spans as its TimeSpan", () => {
    expect([0, 1023, 1024, 1536, 3108, 1024 ** 2 * 1.5, 1024 ** 3 * 1.2345678, 1024 ** 4 * 2].map(humanByte)).toEqual([
      "0 B",
      "1023 B",
      "1 KiB",
      "1.5 KiB",
      "3.035 KiB",
      "1.5 MiB",
      "1.235 GiB",
      "2 TiB",
    ]);
    expect([86700, 60, 0, 3600 * 2 + 1805, 2880 * 60].map(timeSpan)).toEqual(["1d 5m", "1m", "<0.1s", "2h 30m 5s", "2d"]);
  });

  it("caches digests as an LRU once full: the least recently used one is evicted", () => {
    const lru = new DigestLru(2);
    expect([lru.insert("a"), lru.insert("b"), lru.insert("a")]).toEqual([false, false, true]);
    expect(lru.insert("c")).toBe(false); // full: evicts b, used longest ago
    expect([lru.insert("a"), lru.insert("c"), lru.insert("b")]).toEqual([true, true, false]);
    expect(lru.size).toBe(2);
  });

  it("writes the optional summary lines only when they are non-zero", () => {
    const s = emptyGcStatus(null);
    s["cache-stats"] = { hits: 0, misses: 0 };
    expect(gcSummaryLines(s)).toEqual([
      "Removed garbage: 0 B",
      "Removed chunks: 0",
      "Original data usage: 0 B",
      "On-Disk chunks: 0",
      "Deduplication factor: 1.00",
    ]);
  });

});
