import { existsSync, readFileSync } from "node:fs";
import { mkdir, readdir, unlink, utimes, writeFile } from "node:fs/promises";
import path from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { paths } from "../../config/paths";
import { CofferError, LockConflictError } from "../model/errors";
import { groupLockPath, manifestLockPath, snapshotLockPath } from "./lock-names";
import {
  HEARTBEAT_MS,
  HOLDER_STALE_MS,
  acquireLock,
  lockNamed,
  readLockHolders,
  setLockOwnerTask,
  type LockGuard,
} from "../../platform/file-lock";
import { lockGc, lockGroup, lockGroupWithSnapshots, lockManifest, lockSnapshot } from "./locks";
import { BackupNamespace } from "../model/names";
import { parseProcStat, processStartTime, selfStartTime } from "../../platform/process";
import { killChildren, sleep, startChild, useTempHome } from "../test-support/lock-env";

let cleanup: () => Promise<void>;
let lockDir: string;
const guards: LockGuard[] = [];

async function hold(p: string, mode: "shared" | "exclusive", timeoutMs = 0): Promise<LockGuard> {
  const g = await acquireLock(p, { mode, timeoutMs });
  guards.push(g);
  return g;
}

async function conflictOf(p: Promise<unknown>): Promise<LockConflictError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LockConflictError);
  return err as LockConflictError;
}

beforeEach(async () => {
  const env = await useTempHome();
  cleanup = env.cleanup;
  lockDir = path.join(env.home, "run", "locks", "store1", "vm-100");
});

afterEach(async () => {
  await Promise.all(guards.splice(0).map((g) => g.release()));
  setLockOwnerTask(undefined);
  await killChildren();
  await cleanup();
});

describe("locks across processes", () => {
  it("lets shared holders in different processes coexist", async () => {
    const child = startChild("hold-lock.ts", [lockDir, "shared"]);
    await child.waitFor("locked");
    await hold(lockDir, "shared");
    const pids = (await readLockHolders(lockDir)).map((h) => h.pid).sort();
    expect(pids).toEqual([process.pid, child.pid].sort());
  });

  it("refuses shared while another process holds it exclusively, naming the holder and the time held", async () => {
    const child = startChild("hold-lock.ts", [lockDir, "exclusive", "UPID:node:0000:task"]);
    await child.waitFor("locked");
    await sleep(1_100);
    const err = await conflictOf(acquireLock(lockDir, { mode: "shared" }));
    expect(err.code).toBe("CONFLICT");
    expect(err.lockPath).toBe(lockDir);
    // Seconds held are rounded; a loaded machine may add a little to the 1.1 s waited here.
    expect(err.message).toMatch(
      new RegExp(`^Unable to acquire lock ${escapeRe(JSON.stringify(lockDir))} - held by task UPID:node:0000:task \\(pid ${child.pid}\\) for [12] s$`),
    );
    expect(err.holders).toMatchObject([{ pid: child.pid, pstart: processStartTime(child.pid), mode: "exclusive" }]);
  });

  it("refuses exclusive while another process holds it shared or exclusive", async () => {
    const shared = await hold(lockDir, "shared");
    const child = startChild("hold-lock.ts", [lockDir, "exclusive"]);
    expect(await child.waitFor("error")).toMatch(
      new RegExp(`^error Unable to acquire lock ${escapeRe(JSON.stringify(lockDir))} - held \\(shared\\) by pid ${process.pid} for [0-9] s$`),
    );
    await shared.release();
    const holder = startChild("hold-lock.ts", [lockDir, "exclusive"]);
    await holder.waitFor("locked");
    const err = await conflictOf(acquireLock(lockDir, { mode: "exclusive" }));
    expect(err.message).toMatch(new RegExp(`held by pid ${holder.pid} for [0-9] s$`));
  });

  it("frees the lock of a holder killed with SIGKILL at once (pid check, not the stale time)", async () => {
    const child = startChild("hold-lock.ts", [lockDir, "exclusive"]);
    await child.waitFor("locked");
    await conflictOf(acquireLock(lockDir, { mode: "exclusive" }));
    child.proc.kill("SIGKILL");
    // Dead, but maybe not reaped yet: a zombie must count as dead too.
    const running = () => {
      try {
        return parseProcStat(readFileSync(`/proc/${child.pid}/stat`, "latin1"))?.state !== "Z";
      } catch {
        return false; // reaped
      }
    };
    while (running()) await sleep(5);
    // No wait at all: only the pid check can free it now (its holder file is seconds fresh).
    await hold(lockDir, "exclusive", 0);
    // The dead holder's file was pruned, only ours is left.
    expect((await readdir(lockDir)).filter((n) => !n.startsWith("."))).toHaveLength(1);
  });

  it("lets exactly one of several processes racing for an exclusive lock win", async () => {
    const racers = Array.from({ length: 4 }, () => startChild("hold-lock.ts", [lockDir, "exclusive"]));
    const outcomes = await Promise.all(racers.map((c) => Promise.race([c.waitFor("locked"), c.waitFor("error")])));
    expect(outcomes.filter((o) => o === "locked")).toHaveLength(1);
    const winner = racers[outcomes.indexOf("locked")]!;
    for (const o of outcomes.filter((o) => o !== "locked")) expect(o).toContain(`held by pid ${winner.pid}`);
  });

  it("lets exactly one of several processes win when the lock directory was left behind empty", async () => {
    // The fast path renames a prepared directory over an empty one; it must still be atomic.
    await mkdir(lockDir, { recursive: true });
    const racers = Array.from({ length: 4 }, () => startChild("hold-lock.ts", [lockDir, "exclusive"]));
    const outcomes = await Promise.all(racers.map((c) => Promise.race([c.waitFor("locked"), c.waitFor("error")])));
    expect(outcomes.filter((o) => o === "locked")).toHaveLength(1);
    const winner = racers[outcomes.indexOf("locked")]!;
    expect(await readLockHolders(lockDir)).toMatchObject([{ pid: winner.pid, mode: "exclusive" }]);
  });

  it("a waiting lock succeeds once the holder releases, and times out while it does not", async () => {
    const child = startChild("hold-lock.ts", [lockDir, "exclusive"]);
    await child.waitFor("locked");
    const started = Date.now();
    await conflictOf(acquireLock(lockDir, { mode: "shared", timeoutMs: 400 }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);

    const waiting = hold(lockDir, "exclusive", 5_000);
    await sleep(300);
    child.send("release");
    await child.waitFor("released");
    const g = await waiting;
    expect(g.mode).toBe("exclusive");
  });
});

describe("lock life cycle in one process", () => {
  it("release is idempotent and never drops a later holder", async () => {
    const first = await acquireLock(lockDir, { mode: "exclusive" });
    await first.release();
    await first.release();
    const second = await hold(lockDir, "exclusive");
    await first.release(); // must not touch `second`'s holder file
    expect(await readLockHolders(lockDir)).toHaveLength(1);
    await conflictOf(acquireLock(lockDir, { mode: "shared" }));
    expect(second.signal.aborted).toBe(false);
  });

  it("releaseAndRemove removes the lock directory only once no holder remains", async () => {
    const a = await acquireLock(lockDir, { mode: "shared" });
    const b = await acquireLock(lockDir, { mode: "shared" });
    await a.releaseAndRemove();
    expect(existsSync(lockDir)).toBe(true);
    expect(await readLockHolders(lockDir)).toHaveLength(1);
    await b.releaseAndRemove();
    expect(existsSync(lockDir)).toBe(false);
    // A removed lock is simply created again on the next use.
    await hold(lockDir, "exclusive");
    expect(existsSync(lockDir)).toBe(true);
  });

  it("drops a live process's holder file once it is older than the stale time", async () => {
    // A holder whose process lives but stopped refreshing (stalled): our parent process stands
    // in for it, with an mtime past the stale time.
    const ppid = process.ppid;
    const pstart = processStartTime(ppid)!;
    await acquireLock(lockDir, { mode: "shared" }).then((g) => g.release()); // creates the dir
    const fake = path.join(lockDir, `x~${ppid}~${pstart}~${Date.now() - 60_000}~abc123`);
    await writeFile(fake, "");
    const err = await conflictOf(acquireLock(lockDir, { mode: "shared" }));
    expect(err.message).toContain(`held by pid ${ppid} for 60 s`);

    const old = new Date(Date.now() - HOLDER_STALE_MS - 1_000);
    await utimes(fake, old, old);
    expect(await readLockHolders(lockDir)).toEqual([]);
    await hold(lockDir, "exclusive");
    expect(existsSync(fake)).toBe(false);
  });

  it("ignores holder files of a reused pid (start time differs)", async () => {
    await acquireLock(lockDir, { mode: "shared" }).then((g) => g.release());
    await writeFile(path.join(lockDir, `x~${process.pid}~${selfStartTime() + 1}~${Date.now()}~abc`), "");
    await hold(lockDir, "exclusive");
  });

  it("takes a lock over a directory left behind empty, and the next taker meets the holder", async () => {
    await mkdir(lockDir, { recursive: true });
    await hold(lockDir, "exclusive");
    await conflictOf(acquireLock(lockDir, { mode: "shared" }));
    expect(await readLockHolders(lockDir)).toMatchObject([{ pid: process.pid, mode: "exclusive" }]);
  });

  it("is not blocked by a staged directory that an acquirer killed midway left beside the lock", async () => {
    const staged = path.join(path.dirname(lockDir), `.new~x~999999~1~${Date.now()}~1`);
    await mkdir(staged, { recursive: true });
    await writeFile(path.join(staged, `x~999999~1~${Date.now()}~1`), "");
    await hold(lockDir, "exclusive");
    expect(await readLockHolders(lockDir)).toMatchObject([{ pid: process.pid }]);
  });

  it("treats a holder file of this process that it does not hold as a leftover", async () => {
    // Judged from memory, without /proc: our pid is alive, yet the file stands for no lock.
    await acquireLock(lockDir, { mode: "shared" }).then((g) => g.release());
    const leftover = path.join(lockDir, `x~${process.pid}~${selfStartTime()}~${Date.now()}~abc`);
    await writeFile(leftover, "");
    expect(await readLockHolders(lockDir)).toEqual([]);
    await hold(lockDir, "exclusive");
    expect(existsSync(leftover)).toBe(false);
  });

  it("reports a lost lock through `lost` as well as the signal", async () => {
    const g = await hold(lockDir, "exclusive");
    expect(g.lost).toBeUndefined();
    const [file] = (await readdir(lockDir)).filter((n) => n.startsWith("x~"));
    await unlink(path.join(lockDir, file!));
    await new Promise<void>((resolve) => g.signal.addEventListener("abort", () => resolve()));
    expect(g.lost).toBe(g.signal.reason);
  });

  it("waits out a guard mutex left behind by a process that died inside it, even without a timeout", async () => {
    await acquireLock(lockDir, { mode: "shared" }).then((g) => g.release());
    const guardDir = path.join(lockDir, ".guard");
    await mkdir(guardDir);
    const old = new Date(Date.now() - 3_000); // the guard is broken once 4 s old
    await utimes(guardDir, old, old);
    const started = Date.now();
    await hold(lockDir, "exclusive");
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it("aborts the guard's signal when its holder file vanishes", async () => {
    const g = await hold(lockDir, "exclusive");
    const [file] = (await readdir(lockDir)).filter((n) => n.startsWith("x~"));
    await unlink(path.join(lockDir, file!));
    const reason = await new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("signal not aborted")), HEARTBEAT_MS * 2 + 1_000);
      g.signal.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve(g.signal.reason);
      });
    });
    expect(reason).toBeInstanceOf(CofferError);
    expect((reason as CofferError).message).toContain(`lock ${JSON.stringify(lockDir)} was lost`);
    await g.release(); // still fine after the loss
  });

  it("lets exactly one of many concurrent exclusive attempts win", async () => {
    const results = await Promise.allSettled(Array.from({ length: 30 }, () => acquireLock(lockDir, { mode: "exclusive" })));
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r) => r.status === "rejected");
    expect(won).toHaveLength(1);
    for (const r of lost) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(LockConflictError);
    guards.push((won[0] as PromiseFulfilledResult<LockGuard>).value);
    expect(await readLockHolders(lockDir)).toHaveLength(1);
  });

  it("lets many concurrent shared attempts all in, then refuses exclusive", async () => {
    const all = await Promise.all(Array.from({ length: 20 }, () => hold(lockDir, "shared")));
    expect(all).toHaveLength(20);
    expect(await readLockHolders(lockDir)).toHaveLength(20);
    const err = await conflictOf(acquireLock(lockDir, { mode: "exclusive" }));
    expect(err.holders).toHaveLength(20);
  });

  it("records the owner task set for this process", async () => {
    setLockOwnerTask("UPID:node:00001234:task");
    await hold(lockDir, "shared");
    expect(await readLockHolders(lockDir)).toMatchObject([{ pid: process.pid, mode: "shared", upid: "UPID:node:00001234:task" }]);
  });

  it("reads a holder file an older Coffer wrote (a regular file with the UPID as content) and honours it", async () => {
    // Our parent process stands in for the older Coffer that still holds the lock.
    const ppid = process.ppid;
    await acquireLock(lockDir, { mode: "shared" }).then((g) => g.release()); // creates the dir
    await writeFile(path.join(lockDir, `x~${ppid}~${processStartTime(ppid)!}~${Date.now()}~ab1`), "UPID:node:00000001:old-task\n");
    expect(await readLockHolders(lockDir)).toMatchObject([{ pid: ppid, mode: "exclusive", upid: "UPID:node:00000001:old-task" }]);
    const err = await conflictOf(acquireLock(lockDir, { mode: "shared" }));
    expect(err.message).toContain("held by task UPID:node:00000001:old-task");
  });
});

describe("datastore locks", () => {
  const ns = BackupNamespace.parse("a/b");
  const snap = { type: "vm" as const, id: "100", time: 1_651_479_093 };

  it("wraps a group lock conflict in PBS's context", async () => {
    await lockGroup("store1", ns, snap).then((g) => guards.push(g));
    const p = JSON.stringify(groupLockPath("store1", ns, snap));
    const err = await conflictOf(lockGroup("store1", ns, snap));
    expect(err.code).toBe("CONFLICT");
    expect(err.message).toBe(`unable to acquire backup group lock ${p}: Unable to acquire lock ${p} - held by pid ${process.pid} for 0 s`);
  });

  it("uses the shared and exclusive snapshot lock texts", async () => {
    const excl = await lockSnapshot("store1", ns, snap, "exclusive");
    const p = JSON.stringify(snapshotLockPath("store1", ns, snap));
    expect((await conflictOf(lockSnapshot("store1", ns, snap, "shared"))).message).toMatch(
      new RegExp(`^unable to acquire shared snapshot lock ${escapeRe(p)}: Unable to acquire lock`),
    );
    await excl.release();
    await lockSnapshot("store1", ns, snap, "shared").then((g) => guards.push(g));
    await lockSnapshot("store1", ns, snap, "shared").then((g) => guards.push(g));
    expect((await conflictOf(lockSnapshot("store1", ns, snap, "exclusive"))).message).toMatch(
      new RegExp(`^unable to acquire snapshot lock ${escapeRe(p)}: Unable to acquire lock ${escapeRe(p)} - held \\(shared\\)`),
    );
  });

  it("a group lock with its snapshots excludes every snapshot lock of that group, in both orders, and of no other group", async () => {
    const other = { ...snap, time: snap.time + 60 };
    const all = await lockGroupWithSnapshots("store1", ns, snap);
    const a = JSON.stringify(groupLockPath("store1", ns, snap));
    for (const [s, mode] of [[snap, "shared"], [other, "exclusive"]] as const) {
      const err = await conflictOf(lockSnapshot("store1", ns, s, mode));
      expect(err.message).toMatch(new RegExp(`^unable to acquire (shared )?snapshot lock ${escapeRe(JSON.stringify(snapshotLockPath("store1", ns, s)))}: Unable to acquire lock ${escapeRe(a)} - held by pid ${process.pid}`));
    }
    // The same snapshot in another group or namespace is not covered.
    await lockSnapshot("store1", ns, { ...snap, id: "101" }, "exclusive").then((g) => guards.push(g));
    await lockSnapshot("store1", BackupNamespace.root, snap, "exclusive").then((g) => guards.push(g));
    await all.releaseAndRemove();

    const verify = await lockSnapshot("store1", ns, snap, "shared");
    const err = await conflictOf(lockGroupWithSnapshots("store1", ns, other));
    expect(err.message).toBe(`unable to acquire snapshot lock for every snapshot of group 'vm/100' in namespace 'a/b': Unable to acquire lock ${a} - held (shared) by pid ${process.pid} for 0 s`);
    await verify.release();
    // Released: the intention is gone with the last snapshot lock, and the group lock is free.
    expect(existsSync(groupLockPath("store1", ns, snap))).toBe(false);
    guards.push(await lockGroupWithSnapshots("store1", ns, snap));
  });

  it("a snapshot lock's intention and the plain group lock (a backup, a prune) do not exclude each other", async () => {
    const a = JSON.stringify(groupLockPath("store1", ns, snap));
    const backup = await lockGroup("store1", ns, snap);
    // The backup's own new snapshot, and a verify of an older one, while it holds the group.
    const created = await lockSnapshot("store1", ns, snap, "exclusive");
    const verify = await lockSnapshot("store1", ns, { ...snap, time: snap.time - 60 }, "shared");
    // A second backup or prune still finds the group taken, and names only the group's holder.
    expect((await conflictOf(lockGroup("store1", ns, snap))).message).toBe(
      `unable to acquire backup group lock ${a}: Unable to acquire lock ${a} - held by pid ${process.pid} for 0 s`,
    );
    // A move finds it taken too, with the group lock's text, as the group's holder blocks it;
    // every holder is named (in the order the directory lists them).
    const moveErr = (await conflictOf(lockGroupWithSnapshots("store1", ns, snap))).message;
    expect(moveErr).toMatch(new RegExp(`^unable to acquire backup group lock ${escapeRe(a)}: Unable to acquire lock ${escapeRe(a)} - held`));
    expect(moveErr.slice(moveErr.indexOf(" - held") + 3).split(", ").sort()).toEqual(
      [`held by pid ${process.pid} for 0 s`, `held (shared) by pid ${process.pid} for 0 s`, `held (shared) by pid ${process.pid} for 0 s`].sort(),
    );
    await backup.release();
    await created.release();
    // With the backup gone, the verify's intention alone still keeps a move out.
    expect((await conflictOf(lockGroupWithSnapshots("store1", ns, snap))).message).toMatch(/^unable to acquire snapshot lock for every snapshot of group 'vm\/100'/);
    await verify.release();
    guards.push(await lockGroupWithSnapshots("store1", ns, snap));
    // And a move's hold keeps out a backup as the plain group lock does.
    expect((await conflictOf(lockGroup("store1", ns, snap))).message).toBe(
      `unable to acquire backup group lock ${a}: Unable to acquire lock ${a} - held by pid ${process.pid} for 0 s`,
    );
  });

  it("a snapshot lock fails while another process holds every snapshot of its group", async () => {
    const child = startChild("hold-lock.ts", [groupLockPath("store1", ns, snap), "total", "UPID:node:0000:move"]);
    await child.waitFor("locked");
    const err = await conflictOf(lockSnapshot("store1", ns, snap, "shared"));
    expect(err.message).toMatch(new RegExp(`held by task UPID:node:0000:move \\(pid ${child.pid}\\) for [0-9] s$`));
    // The failed attempt leaves no snapshot lock behind that a later move would meet.
    expect(await readLockHolders(snapshotLockPath("store1", ns, snap))).toEqual([]);
    child.send("release");
    await child.waitFor("released");
    await lockSnapshot("store1", ns, snap, "exclusive").then((g) => guards.push(g));
  });

  it("across processes: another's snapshot intention keeps a move out, another's backup does not keep a verify out", async () => {
    const a = JSON.stringify(groupLockPath("store1", ns, snap));
    const verify = startChild("hold-lock.ts", [groupLockPath("store1", ns, snap), "intent", "UPID:node:0000:verify"]);
    await verify.waitFor("locked");
    const err = await conflictOf(lockGroupWithSnapshots("store1", ns, snap));
    expect(err.message).toMatch(
      new RegExp(`^unable to acquire snapshot lock for every snapshot of group 'vm/100' in namespace 'a/b': Unable to acquire lock ${escapeRe(a)} - held \\(shared\\) by task UPID:node:0000:verify \\(pid ${verify.pid}\\)`),
    );
    verify.send("release");
    await verify.waitFor("released");

    const backup = startChild("hold-lock.ts", [groupLockPath("store1", ns, snap), "exclusive", "UPID:node:0000:backup"]);
    await backup.waitFor("locked");
    const reading = await lockSnapshot("store1", ns, snap, "shared");
    expect((await conflictOf(lockGroupWithSnapshots("store1", ns, snap))).message).toMatch(/^unable to acquire backup group lock /);
    await reading.release();
    backup.send("release");
    await backup.waitFor("released");
    guards.push(await lockGroupWithSnapshots("store1", ns, snap));
  });

  it("lets the manifest lock wait for a short holder", async () => {
    const first = await lockManifest("store1", ns, snap);
    expect(first.path).toBe(manifestLockPath("store1", ns, snap));
    setTimeout(() => void first.release(), 300);
    const started = Date.now();
    guards.push(await lockManifest("store1", ns, snap));
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it("allows one garbage collection per datastore", async () => {
    guards.push(await lockGc("store1"));
    const err = await conflictOf(lockGc("store1"));
    expect(err.message).toMatch(/^Start GC failed - \(already running\/locked\): Unable to acquire lock /);
    guards.push(await lockGc("store2"));
    expect(existsSync(path.join(paths.locks("store1"), ".gc"))).toBe(true);
  });

  it("lockNamed waits for the holder", async () => {
    const p = path.join(paths.run(), "x.lock");
    const first = await lockNamed(p);
    setTimeout(() => void first.release(), 200);
    guards.push(await lockNamed(p));
  });
});

describe("lock timings that take seconds", () => {
  // Both waits run side by side to keep the suite short.
  it(
    "keeps a lock held past the stale time valid (heartbeat in another process), while a manifest lock gives up after 5 s",
    async () => {
      const heartbeat = async () => {
        const child = startChild("hold-lock.ts", [lockDir, "exclusive"]);
        await child.waitFor("locked");
        await sleep(HOLDER_STALE_MS + 1_500);
        const err = await conflictOf(acquireLock(lockDir, { mode: "shared" }));
        expect(err.message).toMatch(new RegExp(`held by pid ${child.pid} for 1[1-3] s$`));
        child.send("signal?");
        expect(await child.waitFor("signal")).toBe("signal ok");
      };
      const manifestTimeout = async () => {
        const snap = { type: "ct" as const, id: "7", time: 1_651_479_093 };
        guards.push(await lockManifest("store1", BackupNamespace.root, snap));
        const started = Date.now();
        const err = await conflictOf(lockManifest("store1", BackupNamespace.root, snap));
        expect(Date.now() - started).toBeGreaterThanOrEqual(5_000);
        expect(err.message).toMatch(/^unable to acquire manifest lock ".*\/ct-7-2022\\\\x2d05\\\\x2d02T08\\\\x3a11\\\\x3a33Z-\.index\.json\.lck": Unable/);
      };
      await Promise.all([heartbeat(), manifestTimeout()]);
    },
    30_000,
  );
});

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
