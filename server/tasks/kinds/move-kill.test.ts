/**
 * Reliability test 2: a running `namespace move` task is killed with SIGKILL at 30+ random
 * points. After each kill every snapshot exists exactly once (at the source or the target) with
 * all its files, no chunk is missing, the dead task holds no lock, and running the same move
 * again completes it. The move then goes back the other way, so each round starts from a
 * complete tree.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acquireLock } from "../../platform/file-lock";
import { BackupNamespace } from "../../datastore/model/names";
import { collectingLog } from "../../datastore/model/log";
import { moveNamespace } from "../../datastore/move/move-namespace";
import { openDatastore, storeOf, type ReadHandle } from "../../datastore/open";
import { isProcessAlive } from "../../platform/process";
import { paths } from "../../config/paths";
import { listAllSnapshots, lockDirsWithHolders, missingChunks, type SnapshotRecord } from "../../datastore/test-support/store-check";
import { useTempStore, withWrite, writeSnapshot, type TempStore } from "../../datastore/test-support/temp-store";
import "./kinds";
import { startTask } from "../core/runner";
import { readTaskLog } from "../core/task-log";
import { taskStatus } from "../core/task-status";
import { parseUpid } from "../core/upid";
import { waitUntil } from "../test-support/env";

const ROUNDS = Number(process.env.COFFER_KILL_ROUNDS ?? 32);
const T0 = 1_700_000_000;
let t: TempStore;
let expected: Map<string, string[]>;

/** Snapshot identity relative to the moved subtree: `<ns below the root>|type/id/time`. */
function keyed(records: SnapshotRecord[], root: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of records) {
    if (r.ns !== root && !r.ns.startsWith(`${root}/`)) continue;
    const rel = r.ns.slice(root.length).replace(/^\//, "");
    const key = `${rel}|${r.snapshot}`;
    expect(out.has(key), `snapshot ${key} exists twice below ${root}`).toBe(false);
    out.set(key, r.files);
  }
  return out;
}

beforeAll(async () => {
  t = await useTempStore("kill");
  await withWrite(t.name, async (ds) => {
    for (const n of ["a", "a/x", "a/x/y", "a/z", "b"]) {
      const [parent, name] = n.includes("/") ? [n.slice(0, n.lastIndexOf("/")), n.slice(n.lastIndexOf("/") + 1)] : ["", n];
      await ds.createNamespace(BackupNamespace.parse(parent), name);
    }
    let i = 0;
    for (const ns of ["a", "a/x", "a/x/y", "a/z"]) {
      for (let g = 0; g < 10; g++, i++) {
        for (let s = 0; s < 3; s++) {
          const image = Buffer.alloc(64 * 1024 * 2, (i * 7 + s) % 251);
          await writeSnapshot(ds, ns, `${["vm", "ct", "host"][g % 3]}/${100 + g}`, T0 + s * 3600, { image });
        }
      }
    }
  });
  expected = keyed(await listAllSnapshots(t.name), "a");
  expect(expected.size).toBe(120);
}, 120_000);

afterAll(async () => {
  await t?.cleanup();
});

async function withRead<T>(fn: (ds: ReadHandle) => Promise<T>): Promise<T> {
  const ds = await openDatastore(t.name, "read");
  try {
    return await fn(ds);
  } finally {
    await ds.close();
  }
}

async function assertIntact(src: string, dst: string): Promise<void> {
  const all = await listAllSnapshots(t.name);
  const atSrc = keyed(all, src);
  const atDst = keyed(all, dst);
  for (const [key, files] of expected) {
    const here = atSrc.get(key);
    const there = atDst.get(key);
    expect(Number(here !== undefined) + Number(there !== undefined), `snapshot ${key} must exist exactly once`).toBe(1);
    expect(here ?? there).toEqual(files);
  }
  expect(atSrc.size + atDst.size).toBe(expected.size);
  expect(missingChunks(t.path)).toEqual([]);
}

describe("namespace move killed with SIGKILL", () => {
  it(`survives ${ROUNDS} kills at random points and completes when run again`, async () => {
    // Kill points are chosen by progress, not by clock (a loaded machine stretches the clock):
    // each round kills the task once its log shows a random number of moved groups, 0..37, and
    // after a further random few milliseconds, so kills land before, between and inside groups.
    let src = "a";
    let dst = "b/a";
    let interrupted = 0;
    // Rounds go on until ROUNDS kills have landed mid-move (a kill that comes after the task
    // finished proves nothing, so it does not count), with an upper bound on the rounds.
    for (let round = 0; interrupted < ROUNDS; round++) {
      expect(round, `only ${interrupted} of ${round} kills landed mid-move`).toBeLessThan(ROUNDS * 2);
      const { upid } = await startTask("move-namespace", { store: t.name, ns: src, "target-ns": dst }, {});
      const { pid, pstart } = parseUpid(upid);
      const killAfter = Math.floor(Math.random() * 38);
      await waitUntil(
        async () => {
          if (!isProcessAlive(pid, pstart)) return true;
          const { lines } = await readTaskLog(upid, { start: 0, limit: 0 });
          return lines.filter((l) => l.t.includes(": moved group ")).length >= killAfter;
        },
        60_000,
        "the move to make progress",
        2,
      );
      await new Promise((r) => setTimeout(r, Math.random() * 5));
      if (isProcessAlive(pid, pstart)) process.kill(pid, "SIGKILL");
      await waitUntil(() => !isProcessAlive(pid, pstart), 10_000, "the killed task to exit");
      const killed = await taskStatus(upid);
      expect(killed.status).toBe("stopped");
      // A task killed before its last line shows `unknown`, never "running" forever.
      if (killed.exitstatus === "unknown") interrupted++;

      await assertIntact(src, dst);
      // The dead task holds nothing: its holder files are ignored at once, so every lock is free.
      for (const dir of lockDirsWithHolders(paths.locks(t.name))) {
        const lockDir = dir.slice(0, dir.lastIndexOf("/"));
        const guard = await acquireLock(lockDir, { mode: "exclusive" });
        await guard.release();
      }

      // Running the same move again completes it (unless the kill came after the source was
      // already removed: then the move had finished its work and there is nothing to re-run).
      // The re-run goes through the engine in-process: the same code the task runs, without
      // another process start per round.
      const srcLeft = await withRead((ds) => ds.namespaceExists(BackupNamespace.parse(src)));
      if (srcLeft) {
        const log = collectingLog();
        await withWrite(t.name, (ds) =>
          moveNamespace(ds, BackupNamespace.parse(src), BackupNamespace.parse(dst), {}, log),
        ).catch((err: unknown) => {
          expect.fail(`re-run of round ${round} failed: ${String(err)}\n${log.lines.map((l) => l.message).join("\n")}`);
        });
      }
      const all = await listAllSnapshots(t.name);
      expect(keyed(all, src).size).toBe(0);
      expect(keyed(all, dst)).toEqual(expected);
      expect(missingChunks(t.path)).toEqual([]);
      [src, dst] = [dst, src];
    }
    expect(interrupted).toBe(ROUNDS);
  }, 600_000);
});
