import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { threadId } from "node:worker_threads";
import { afterEach, describe, expect, it } from "vitest";
import { setMaintenanceMode } from "../../config/datastore-config";
import { crc32 } from "node:zlib";
import { COMPRESSED_BLOB_MAGIC, decodeBlob, decodeChunk, ENCRYPTED_BLOB_MAGIC, encodeBlob, sha256 } from "../format/blob";
import { FixedIndexReader } from "../format/fixed-index";
import { lockSnapshot } from "../locking/locks";
import { collectingLog } from "../model/log";
import { BackupNamespace, formatBackupTime } from "../model/names";
import { openDatastore, type ReadHandle } from "../open";
import { useTempStore, withWrite, writeSnapshot, type TempStore } from "../test-support/temp-store";
import { verifyBackups, verifyFilter, type VerifyOptions, type VerifyScope } from "./verify";
import { VerifyPool } from "./verify-pool";
import { coffer, killTasks, track } from "../../tasks/test-support/env";
import { parseUpid } from "../../tasks/core/upid";

const root = BackupNamespace.root;
const vm100 = { type: "vm" as const, id: "100" };
const T0 = 1_700_000_000;
const DAY = 86_400;
/** A UPID whose start time is `start` (what outdated-after measures from). */
const upidAt = (start: number) => `UPID:testnode:00001234:00000001:00000000:${start.toString(16).toUpperCase().padStart(8, "0")}:verify:store1:root@pam:`;
const UPID = upidAt(T0 + 10 * DAY);
/** 4 chunks of 64 KiB each (writeSnapshot's chunk size), plus a short fifth. */
const image = () => randomBytes(4 * 65536 + 1000);

let t: TempStore | undefined;
afterEach(async () => {
  await t?.cleanup();
  t = undefined;
});

async function withRead<T>(fn: (ds: ReadHandle) => Promise<T>): Promise<T> {
  const ds = await openDatastore(t!.name, "read");
  try {
    return await fn(ds);
  } finally {
    await ds.close();
  }
}

async function verify(scope: VerifyScope = { kind: "datastore" }, opts: Partial<VerifyOptions> = {}) {
  const log = collectingLog();
  const result = await withRead((ds) => verifyBackups(ds, scope, { upid: UPID, log, threads: 2, ...opts }));
  return { result, log, lines: log.lines.map((l) => l.message) };
}

const snapDir = (time: number, group = "vm/100", ns = "") => path.join(t!.path, ns, group, formatBackupTime(time));

function verifyState(time: number, group = "vm/100", ns = ""): unknown {
  const raw = readFileSync(path.join(snapDir(time, group, ns), "index.json.blob"));
  return (JSON.parse(decodeBlob(raw).toString("utf8")) as { unprotected: Record<string, unknown> }).unprotected.verify_state;
}

/** Absolute paths of the chunk files `disk.img.fidx` of a snapshot references, in index order. */
async function chunkFiles(time: number): Promise<{ digest: string; file: string }[]> {
  const index = await FixedIndexReader.open(path.join(snapDir(time), "disk.img.fidx"));
  return [...index.digests()].map((d) => {
    const hex = d.toString("hex");
    return { digest: hex, file: path.join(t!.path, ".chunks", hex.slice(0, 4), hex) };
  });
}

describe("verify", () => {
  it("passes on a good store, checks every file and chunk once, and records verify_state ok", async () => {
    t = await useTempStore();
    const shared = image();
    await withWrite(t.name, async (ds) => {
      await writeSnapshot(ds, "", "vm/100", T0, { image: shared });
      await writeSnapshot(ds, "", "vm/100", T0 + DAY, { image: shared }); // same chunks: checked once
    });
    const { result, lines } = await verify();
    expect(result).toMatchObject({ snapshots: 2, ok: 2, failed: [], skipped: 0, chunks: 5, threads: 2 });
    expect(result.bytesDecoded).toBe(shared.length);
    expect(verifyState(T0)).toEqual({ state: "ok", upid: UPID });
    expect(verifyState(T0 + DAY)).toEqual({ state: "ok", upid: UPID });
    expect(lines).toContain(`verify store1:vm/100/${formatBackupTime(T0 + DAY)}`);
    expect(lines.filter((l) => l.startsWith("  check "))).toEqual([
      "  check test.conf.blob",
      "  check disk.img.fidx",
      "  check test.conf.blob",
      "  check disk.img.fidx",
    ]);
    expect(lines).toContain("verify group store1:vm/100 (2 snapshots)");
    expect(lines.some((l) => /^verified 2 of 2 snapshots \(100%\), \d+\.\d\d MiB read, [\d.]+ MiB\/s$/.test(l))).toBe(true);
    expect(lines.some((l) => /^ {2}verified \d+\.\d\d\/\d+\.\d\d MiB in .* \(0 errors\)$/.test(l))).toBe(true);
  });

  it("fails on a corrupted chunk, renames it to <digest>.0.bad and records verify_state failed", async () => {
    t = await useTempStore();
    await withWrite(t.name, (ds) => writeSnapshot(ds, "", "vm/100", T0, { image: image() }));
    const [first, second] = await chunkFiles(T0);
    const raw = readFileSync(second!.file);
    raw[raw.length - 7]! ^= 0x40; // one bit of the payload
    writeFileSync(second!.file, raw);

    const { result, log } = await verify();
    expect(result.failed).toEqual([`vm/100/${formatBackupTime(T0)}`]);
    expect(existsSync(second!.file)).toBe(false);
    expect(existsSync(`${second!.file}.0.bad`)).toBe(true);
    expect(existsSync(first!.file)).toBe(true);
    expect(verifyState(T0)).toEqual({ state: "failed", upid: UPID });
    const warns = log.lines.filter((l) => l.level === "warn").map((l) => l.message);
    expect(warns).toContain(`chunk ${second!.digest}: Data blob has wrong CRC checksum.`);
    expect(warns).toContain(`verify store1:vm/100/${formatBackupTime(T0)}/disk.img.fidx failed: chunks could not be verified`);
    expect(log.lines.map((l) => l.message)).toContain(`corrupt chunk renamed to ${JSON.stringify(`${second!.file}.0.bad`)}`);
  });

  it("fails on a chunk whose content does not match its digest even with a valid CRC", async () => {
    t = await useTempStore();
    await withWrite(t.name, (ds) => writeSnapshot(ds, "", "vm/100", T0, { image: image() }));
    const [first] = await chunkFiles(T0);
    writeFileSync(first!.file, encodeBlob(randomBytes(65536))); // a well-formed blob, wrong data
    const { result, log } = await verify();
    expect(result.failed).toHaveLength(1);
    expect(log.lines.some((l) => l.message.startsWith(`chunk ${first!.digest}: detected chunk with wrong digest`))).toBe(true);
    expect(existsSync(`${first!.file}.0.bad`)).toBe(true);
  });

  it("fails on a missing chunk, and a second snapshot using it reports it as already known corrupt", async () => {
    t = await useTempStore();
    const img = image();
    await withWrite(t.name, async (ds) => {
      await writeSnapshot(ds, "", "vm/100", T0, { image: img });
      await writeSnapshot(ds, "", "vm/100", T0 + DAY, { image: img });
    });
    const [, , third] = await chunkFiles(T0);
    unlinkSync(third!.file);
    const { result, lines } = await verify();
    expect(result.failed).toEqual([`vm/100/${formatBackupTime(T0 + DAY)}`, `vm/100/${formatBackupTime(T0)}`]);
    expect(lines.filter((l) => l.startsWith("can't verify chunk, load failed - "))).toEqual([
      `can't verify chunk, load failed - unable to load chunk ${JSON.stringify(third!.file)} - No such file or directory (os error 2)`,
    ]);
    expect(lines).toContain(`chunk ${third!.digest} was marked as corrupt`);
    expect(existsSync(`${third!.file}.0.bad`)).toBe(false);
    expect(verifyState(T0)).toMatchObject({ state: "failed" });
  });

  it("fails on a blob whose checksum does not match the manifest", async () => {
    t = await useTempStore();
    await withWrite(t.name, (ds) => writeSnapshot(ds, "", "vm/100", T0));
    const blob = path.join(snapDir(T0), "test.conf.blob");
    const raw = readFileSync(blob);
    raw[raw.length - 1]! ^= 1;
    writeFileSync(blob, raw);
    const { result, lines } = await verify();
    expect(result.failed).toHaveLength(1);
    expect(lines).toContain(`verify store1:vm/100/${formatBackupTime(T0)}/test.conf.blob failed: wrong index checksum`);
    expect(verifyState(T0)).toMatchObject({ state: "failed" });
  });

  it("skips recently verified snapshots unless ignore-verified is false or the verify is outdated", async () => {
    t = await useTempStore();
    await withWrite(t.name, (ds) => writeSnapshot(ds, "", "vm/100", T0));
    await verify();
    const again = await verify();
    expect(again.result).toMatchObject({ ok: 0, skipped: 1 });
    expect(again.lines).toContain(`SKIPPED: verify store1:vm/100/${formatBackupTime(T0)} (recently verified)`);

    const forced = await verify({ kind: "datastore" }, { ignoreVerified: false, upid: upidAt(T0 + 20 * DAY) });
    expect(forced.result).toMatchObject({ ok: 1, skipped: 0 });
    expect(verifyState(T0)).toEqual({ state: "ok", upid: upidAt(T0 + 20 * DAY) });

    // Last verify started at T0+20d; now is T0+23d: 3 whole days since.
    const now = () => T0 + 23 * DAY;
    expect((await verify({ kind: "datastore" }, { outdatedAfter: 3, now })).result.skipped).toBe(1);
    expect((await verify({ kind: "datastore" }, { outdatedAfter: 2, now })).result.ok).toBe(1);
  });

  it("verify_filter follows PBS: unreadable states are verified, whole days count", () => {
    const m = (state: unknown) => ({
      "backup-type": "vm" as const,
      "backup-id": "1",
      "backup-time": 0,
      files: [],
      unprotected: state === undefined ? {} : { verify_state: state },
      signature: null,
    });
    const now = 100 * DAY;
    expect(verifyFilter(true, undefined, m(undefined), now)).toBe(true);
    expect(verifyFilter(true, undefined, m({ state: "ok", upid: "garbage" }), now)).toBe(true);
    expect(verifyFilter(true, undefined, m({ state: "failed", upid: upidAt(0) }), now)).toBe(false);
    expect(verifyFilter(false, undefined, m({ state: "ok", upid: upidAt(now) }), now)).toBe(true);
    expect(verifyFilter(true, 1, m({ state: "ok", upid: upidAt(now - 2 * DAY + 1) }), now)).toBe(false); // 1.99 days
    expect(verifyFilter(true, 1, m({ state: "ok", upid: upidAt(now - 2 * DAY) }), now)).toBe(true);
  });

  it("skips a snapshot held with an exclusive lock, leaving its manifest alone", async () => {
    t = await useTempStore();
    await withWrite(t.name, async (ds) => {
      await writeSnapshot(ds, "", "vm/100", T0);
      await writeSnapshot(ds, "", "vm/100", T0 + DAY);
    });
    const guard = await lockSnapshot(t.name, root, { ...vm100, time: T0 }, "exclusive");
    let out;
    try {
      out = await verify();
    } finally {
      await guard.release();
    }
    expect(out.result).toMatchObject({ ok: 1, skipped: 1, failed: [] });
    const skipped = out.lines.find((l) => l.startsWith(`SKIPPED: verify store1:vm/100/${formatBackupTime(T0)} - could not acquire snapshot lock: `));
    expect(skipped).toMatch(/unable to acquire shared snapshot lock/);
    expect(verifyState(T0)).toBeUndefined();
    expect(verifyState(T0 + DAY)).toMatchObject({ state: "ok" });
  });

  it("reports a snapshot that vanished and one without a manifest", async () => {
    t = await useTempStore();
    await withWrite(t.name, async (ds) => {
      await writeSnapshot(ds, "", "vm/100", T0, { finish: false });
    });
    const gone = await verify({ kind: "snapshot", ns: root, snapshot: { ...vm100, time: T0 + DAY } });
    expect(gone.result).toMatchObject({ skipped: 1, failed: [] });
    expect(gone.lines).toContain(`SKIPPED: verify store1:vm/100/${formatBackupTime(T0 + DAY)} - snapshot does not exist (anymore).`);
    const partial = await verify({ kind: "snapshot", ns: root, snapshot: { ...vm100, time: T0 } });
    expect(partial.result.failed).toHaveLength(1);
    expect(partial.lines).toContain(
      `verify store1:vm/100/${formatBackupTime(T0)} - manifest load error: unable to load blob ` +
        `${JSON.stringify(path.join(snapDir(T0), "index.json.blob"))} - No such file or directory (os error 2)`,
    );
  });

  it("runs under read-only maintenance (it is a read operation) and still records its result", async () => {
    t = await useTempStore();
    await withWrite(t.name, (ds) => writeSnapshot(ds, "", "vm/100", T0, { image: image() }));
    await setMaintenanceMode(t.name, { type: "read-only", message: "disk swap" });
    const { result } = await verify();
    expect(result.ok).toBe(1);
    expect(verifyState(T0)).toEqual({ state: "ok", upid: UPID });
  });

  it("verifies one group or one snapshot, and a namespace subtree down to max-depth", async () => {
    t = await useTempStore();
    await withWrite(t.name, async (ds) => {
      await writeSnapshot(ds, "", "vm/100", T0);
      await writeSnapshot(ds, "", "vm/100", T0 + DAY);
      await writeSnapshot(ds, "", "ct/200", T0);
      const a = await ds.createNamespace(root, "a");
      const b = await ds.createNamespace(a, "b");
      await writeSnapshot(ds, "a", "host/h1", T0);
      await writeSnapshot(ds, b.toString(), "host/h2", T0);
    });
    const group = await verify({ kind: "group", ns: root, group: vm100 });
    expect(group.result).toMatchObject({ snapshots: 2, ok: 2 });
    expect(verifyState(T0, "ct/200")).toBeUndefined();

    const snap = await verify({ kind: "snapshot", ns: root, snapshot: { type: "ct", id: "200", time: T0 } });
    expect(snap.result).toMatchObject({ snapshots: 1, ok: 1 });
    expect(verifyState(T0, "ct/200")).toMatchObject({ state: "ok" });

    const sub = await verify({ kind: "datastore", ns: BackupNamespace.parse("a"), maxDepth: 0 });
    expect(sub.result).toMatchObject({ snapshots: 1, ok: 1 });
    expect(sub.lines).toContain("verify datastore store1, namespace 'a'");
    expect(verifyState(T0, "host/h1", "ns/a")).toMatchObject({ state: "ok" });
    expect(verifyState(T0, "host/h2", "ns/a/ns/b")).toBeUndefined();

    const all = await verify();
    expect(all.result).toMatchObject({ snapshots: 5, ok: 1, skipped: 4 }); // only ns a/b was left unverified
    expect(verifyState(T0, "host/h2", "ns/a/ns/b")).toMatchObject({ state: "ok" });

    await expect(verify({ kind: "group", ns: root, group: { type: "vm", id: "404" } })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("stops when aborted", async () => {
    t = await useTempStore();
    await withWrite(t.name, (ds) => writeSnapshot(ds, "", "vm/100", T0, { image: image() }));
    const ac = new AbortController();
    ac.abort(new Error("abort requested - aborting task"));
    await expect(verify({ kind: "datastore" }, { signal: ac.signal })).rejects.toThrow("abort requested - aborting task");
    expect(verifyState(T0)).toBeUndefined();
  });
});

describe("verify pool", () => {
  /** `zstd -1` of ZSTD_TEXT, as format/blob.test.ts has it (PBS compresses most chunks this way). */
  const ZSTD_TEXT = "Coffer reads zstd blobs written by PBS. ".repeat(3).trimEnd() + "\n";
  const ZSTD_FRAME = Buffer.from("KLUv/SR4jQEAlAJDb2ZmZXIgcmVhZHMgenN0ZCBibG9icyB3cml0dGVuIGJ5IFBCUy4gCgEA4IWqMlIzak4=", "base64");

  /** A DataBlob of any variant, with a correct CRC over what follows the header. */
  function frame(magic: Uint8Array, payload: Uint8Array, headerExtra = 0): Buffer {
    const out = Buffer.alloc(12 + headerExtra + payload.length);
    out.set(magic, 0);
    out.set(payload, 12 + headerExtra);
    out.writeUInt32LE(crc32(out.subarray(12 + headerExtra)), 8);
    return out;
  }

  it("hashes in worker threads, spread over all of them, and judges every variant as blob.ts does", async () => {
    const dir = path.join(existsSync("/dev/shm") ? "/dev/shm" : "/tmp", `coffer-pool-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    const data = randomBytes(100_000);
    const digest = sha256(data).toString("hex");
    const zstdDigest = sha256(Buffer.from(ZSTD_TEXT)).toString("hex");
    const badCrc = encodeBlob(data);
    badCrc[500]! ^= 1;
    const garbledZstd = Buffer.from(ZSTD_FRAME);
    garbledZstd[20]! ^= 0xff;
    const cases: { name: string; raw?: Buffer; digest: string; size: number; expect: RegExp | "ok" | "ok-encrypt" }[] = [
      { name: "plain", raw: encodeBlob(data), digest, size: data.length, expect: "ok" },
      { name: "plain, bad crc", raw: badCrc, digest, size: data.length, expect: /^chunk [0-9a-f]{64}: Data blob has wrong CRC checksum\.$/ },
      { name: "plain, other data", raw: encodeBlob(randomBytes(10)), digest, size: -1, expect: /detected chunk with wrong digest/ },
      { name: "plain, wrong length", raw: encodeBlob(data), digest, size: 5, expect: /wrong length \(5 != 100000\)/ },
      { name: "zstd", raw: frame(COMPRESSED_BLOB_MAGIC, ZSTD_FRAME), digest: zstdDigest, size: ZSTD_TEXT.length, expect: "ok" },
      { name: "zstd, garbled", raw: frame(COMPRESSED_BLOB_MAGIC, garbledZstd), digest: zstdDigest, size: -1, expect: /zstd|wrong digest/ },
      { name: "encrypted", raw: frame(ENCRYPTED_BLOB_MAGIC, randomBytes(64), 32), digest, size: -1, expect: "ok-encrypt" },
      { name: "encrypted, bad crc", raw: (() => { const b = frame(ENCRYPTED_BLOB_MAGIC, randomBytes(64), 32); b[60]! ^= 1; return b; })(), digest, size: -1, expect: /wrong CRC/ },
      { name: "no blob", raw: Buffer.from("not a data blob at all"), digest, size: -1, expect: /wrong magic/ },
      { name: "tiny", raw: Buffer.from("abc"), digest, size: -1, expect: /blob too small/ },
      { name: "missing", digest, size: -1, expect: /No such file or directory \(os error 2\)$/ },
    ];
    const jobs = cases.map((c, i) => {
      const file = path.join(dir, `c${i}`);
      if (c.raw) writeFileSync(file, c.raw);
      return { path: file, digest: c.digest, size: c.size };
    });
    const pool = VerifyPool.start(2);
    try {
      const replies = await Promise.all(Array.from({ length: 6 }, () => pool.check(jobs)));
      const threads = new Set(replies.map((r) => r.threadId));
      expect(threads.size).toBe(2);
      expect(threads.has(threadId)).toBe(false);
      for (const reply of replies) {
        reply.outcomes.forEach((o, i) => {
          const c = cases[i]!;
          if (c.expect === "ok") expect(o, c.name).toMatchObject({ ok: true, cryptMode: "none" });
          else if (c.expect === "ok-encrypt") expect(o, c.name).toMatchObject({ ok: true, cryptMode: "encrypt" });
          else expect(o.ok === false && o.message, c.name).toMatch(c.expect);
          // The engine's own decoder agrees on every blob that is not encrypted.
          if (c.raw && c.expect !== "ok-encrypt" && !/^(encrypted|tiny|no blob)/.test(c.name)) {
            let engineOk = true;
            try {
              const plain = decodeChunk(c.raw, Buffer.from(c.digest, "hex"));
              if (c.size >= 0 && plain.length !== c.size) engineOk = false;
            } catch {
              engineOk = false;
            }
            expect(o.ok, c.name).toBe(engineOk);
          }
        });
      }
    } finally {
      await pool.close();
      rmSync(dir, { recursive: true, force: true });
    }
    await expect(pool.check([])).rejects.toThrow("verify pool is closed");
  });
});

describe("coffer verify", () => {
  afterEach(() => killTasks());

  it("runs verify as a task whose hashing threads work under tsx, and fails it on a corrupt chunk", async () => {
    t = await useTempStore();
    await withWrite(t.name, (ds) => writeSnapshot(ds, "", "vm/100", T0, { image: image() }));
    const [first] = await chunkFiles(T0);
    const ok = await coffer(["verify", t.name]).done;
    const okLines = ok.stdout.trimEnd().split("\n");
    track(okLines[0]!);
    expect(ok.code).toBe(0);
    expect(okLines[0]).toMatch(/^UPID:[^:]+:[0-9A-F]{8}:[0-9A-F]{8,9}:[0-9A-F]{8,16}:[0-9A-F]{8}:verify:store1:root@pam:$/);
    expect(okLines).toContain("  check disk.img.fidx");
    expect(okLines.some((l) => /^verify summary: 1 ok, 0 failed, 0 skipped of 1 snapshots; 5 chunks, .* [1-9]\d* hashing threads\)$/.test(l))).toBe(true);
    expect(okLines.at(-1)).toBe("TASK OK");
    expect(verifyState(T0)).toEqual({ state: "ok", upid: okLines[0] });

    const raw = readFileSync(first!.file);
    raw[100]! ^= 1;
    writeFileSync(first!.file, raw);
    const snap = `vm/100/${formatBackupTime(T0)}`;
    const bad = await coffer(["verify", t.name, "--snapshot", snap, "--ignore-verified", "false"]).done;
    const badLines = bad.stdout.trimEnd().split("\n");
    track(badLines[0]!);
    expect(bad.code).toBe(1);
    expect(parseUpid(badLines[0]!)).toMatchObject({ workerType: "verify_snapshot", workerId: `store1:/vm/100/${T0.toString(16).toUpperCase()}` });
    expect(badLines).toContain(`corrupt chunk renamed to ${JSON.stringify(`${first!.file}.0.bad`)}`);
    expect(badLines.at(-1)).toBe("TASK ERROR: verification failed - please check the log for details");
    expect(verifyState(T0)).toEqual({ state: "failed", upid: badLines[0] });

    const missing = await coffer(["verify", t.name, "--group", "vm/404"]).done;
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe(""); // refused before any task started
    expect(missing.stderr).toMatch(/group 'vm\/404' does not exist/);
  });
});
