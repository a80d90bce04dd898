import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { collectingLog } from "../model/log";
import { lockGroup, lockSnapshot } from "../locking/locks";
import { groupLockPath } from "../locking/lock-names";
import { drainMoveJournal, journalLock, readMoveJournal } from "./move-journal";
import { hasLockWaiters } from "../../platform/lock-waiters";
import { waitUntil } from "../../tasks/test-support/env";
import { moveGroup } from "./move-group";
import { moveNamespace } from "./move-namespace";
import { planMoveGroup, planMoveNamespace } from "./move-plan";
import { BackupNamespace, type GroupRef } from "../model/names";
import { storeOf, type WriteHandle } from "../open";
import { useTempStore, withWrite, writeSnapshot, type TempStore } from "../test-support/temp-store";

const ns = (s: string) => BackupNamespace.parse(s);
const vm100 = { type: "vm" as const, id: "100" };
const T0 = 1_700_000_000;
let t: TempStore;

beforeEach(async () => {
  t = await useTempStore();
});
afterEach(async () => {
  await t.cleanup();
});

async function mkns(ds: WriteHandle, ...names: string[]) {
  for (const n of names) {
    const p = ns(n);
    await ds.createNamespace(p.parent(), p.name);
  }
}

const times = async (ds: WriteHandle, n: string, g: GroupRef = vm100) =>
  (await ds.listSnapshots(ns(n), g)).map((s) => s["backup-time"]);

describe("move-group", () => {
  it("refuses with each pre-flight text and changes nothing", async () => {
    await withWrite(t.name, async (ds) => {
      await mkns(ds, "a", "b");
      await writeSnapshot(ds, "a", "vm/100", T0);
      await writeSnapshot(ds, "b", "vm/100", T0 - 10);
      const store = storeOf(ds);
      const log = collectingLog();
      await expect(moveGroup(ds, ns("a"), vm100, ns("a"), true, log)).rejects.toThrow(
        "source and target namespace must be different",
      );
      await expect(moveGroup(ds, ns("a"), vm100, ns("nope"), true, log)).rejects.toThrow(
        "target namespace 'nope' does not exist",
      );
      await expect(moveGroup(ds, ns("a"), { type: "ct", id: "1" }, ns("b"), true, log)).rejects.toThrow(
        "group 'ct/1' does not exist in namespace 'a'",
      );
      await expect(moveGroup(ds, ns("a"), vm100, ns("b"), false, log)).rejects.toThrow(
        "group 'vm/100' already exists in target namespace 'b' and merge-group is disabled",
      );
      expect(await times(ds, "a")).toEqual([T0]);
      expect(await times(ds, "b")).toEqual([T0 - 10]);
    });
  });

  it("moves a group with its owner, notes, protected and unfinished snapshots, journaling first", async () => {
    await withWrite(t.name, async (ds) => {
      await mkns(ds, "a", "b");
      await writeSnapshot(ds, "a", "vm/100", T0, { owner: "alice@pbs", protect: true, image: Buffer.alloc(70_000, 1) });
      await writeSnapshot(ds, "a", "vm/100", T0 + 60, { owner: "alice@pbs" });
      await writeSnapshot(ds, "a", "vm/100", T0 + 120, { owner: "alice@pbs", finish: false });
      await ds.setGroupNotes(ns("a"), vm100, "notes travel");
      const log = collectingLog();
      await moveGroup(ds, ns("a"), vm100, ns("b"), true, log);
      expect(existsSync(path.join(t.path, "ns/a/vm/100"))).toBe(false);
      const moved = await ds.listSnapshots(ns("b"), vm100);
      expect(moved.map((s) => [s["backup-time"], s.protected, s.finished])).toEqual([
        [T0, true, true],
        [T0 + 60, false, true],
        [T0 + 120, false, false],
      ]);
      expect(await ds.groupOwner(ns("b"), vm100)).toBe("alice@pbs");
      expect(await ds.groupNotes(ns("b"), vm100)).toBe("notes travel");
      expect(log.lines.map((l) => l.message)).toContain("moving group 'vm/100' from 'a' to 'b'");
      // the journal holds the post-rename directory of every snapshot
      const journal = await readMoveJournal(t.name);
      expect(journal).toEqual(["2023-11-14T22:13:20Z", "2023-11-14T22:14:20Z", "2023-11-14T22:15:20Z"].map((d) => path.join(t.path, "ns/b/vm/100", d) + "/"));
    });
  });

  it("moves a group into the root namespace", async () => {
    await withWrite(t.name, async (ds) => {
      await mkns(ds, "a");
      await writeSnapshot(ds, "a", "vm/100", T0);
      await moveGroup(ds, ns("a"), vm100, ns(""), true, collectingLog());
      expect(await times(ds, "")).toEqual([T0]);
    });
  });

  it("merges with equal owner and strictly older target; refuses owner mismatch and time overlap", async () => {
    await withWrite(t.name, async (ds) => {
      await mkns(ds, "a", "b", "c", "d");
      await writeSnapshot(ds, "b", "vm/100", T0);
      await writeSnapshot(ds, "a", "vm/100", T0 + 60);
      await moveGroup(ds, ns("a"), vm100, ns("b"), true, collectingLog());
      expect(await times(ds, "b")).toEqual([T0, T0 + 60]);

      await writeSnapshot(ds, "c", "vm/100", T0 + 120, { owner: "bob@pbs" });
      await expect(moveGroup(ds, ns("c"), vm100, ns("b"), true, collectingLog())).rejects.toThrow(
        "cannot merge group 'vm/100' from 'c' into 'b': owner mismatch (source: bob@pbs, target: root@pam)",
      );
      await writeSnapshot(ds, "d", "vm/100", T0 + 60); // equal to the target's newest: a conflict
      const log = collectingLog();
      await expect(moveGroup(ds, ns("d"), vm100, ns("b"), true, log)).rejects.toThrow(
        "cannot merge group 'vm/100' from 'd' into 'b': snapshot time mismatch",
      );
      expect(log.lines.map((l) => l.message)).toEqual(
        expect.arrayContaining([
          "oldest source snapshot: 2023-11-14T22:14:20Z",
          "conflicting target snapshot: 2023-11-14T22:14:20Z",
        ]),
      );
      expect(await times(ds, "d")).toEqual([T0 + 60]);
      expect(await times(ds, "c", vm100)).toEqual([T0 + 120]);
    });
  });

  it("keeps identical notes and warns about divergent ones, keeping the target's", async () => {
    await withWrite(t.name, async (ds) => {
      await mkns(ds, "a", "b");
      await writeSnapshot(ds, "b", "vm/100", T0);
      await ds.setGroupNotes(ns("b"), vm100, "target notes");
      await writeSnapshot(ds, "a", "vm/100", T0 + 60);
      await ds.setGroupNotes(ns("a"), vm100, "source notes");
      const log = collectingLog();
      await moveGroup(ds, ns("a"), vm100, ns("b"), true, log);
      expect(await ds.groupNotes(ns("b"), vm100)).toBe("target notes");
      expect(log.lines.filter((l) => l.level === "warn").map((l) => l.message)).toEqual([
        "group notes differ during merge of 'vm/100' from 'a' into 'b' - keeping target's notes",
      ]);
    });
  });

  it("fails without change while the source group is locked", async () => {
    await withWrite(t.name, async (ds) => {
      await mkns(ds, "a", "b");
      await writeSnapshot(ds, "a", "vm/100", T0);
      const guard = await lockGroup(t.name, ns("a"), vm100);
      try {
        await expect(moveGroup(ds, ns("a"), vm100, ns("b"), true, collectingLog())).rejects.toMatchObject({
          code: "CONFLICT",
          message: expect.stringMatching(/unable to acquire backup group lock .* held by pid/),
        });
      } finally {
        await guard.release();
      }
      expect(await times(ds, "a")).toEqual([T0]);
      expect(existsSync(path.join(t.path, "ns/b/vm/100"))).toBe(false);
    });
  });

  it("stops before its renames when it loses the source group lock, and keeps the snapshots at the source", async () => {
    await withWrite(t.name, async (ds) => {
      await mkns(ds, "a", "b");
      await writeSnapshot(ds, "a", "vm/100", T0);
      await writeSnapshot(ds, "a", "vm/100", T0 + 1);
      const lockDir = groupLockPath(t.name, ns("a"), vm100);
      let batches = 0;
      const move = moveGroup(ds, ns("a"), vm100, ns("b"), true, collectingLog(), undefined, {
        midBatch: async ({ lockSignal }) => {
          batches++;
          // Another process judged the holder stale and took it away (as after a long freeze).
          for (const f of readdirSync(lockDir).filter((n) => n.startsWith("t~"))) unlinkSync(path.join(lockDir, f));
          await new Promise((resolve) => lockSignal.addEventListener("abort", resolve, { once: true }));
        },
      });
      await expect(move).rejects.toThrow(`lock ${JSON.stringify(lockDir)} was lost`);
      expect(batches).toBe(1);
      expect(await times(ds, "a")).toEqual([T0, T0 + 1]);
      expect(await times(ds, "b")).toEqual([]);
    });
  });

  it("a locked snapshot stops the move before it changes anything; the retry moves the group", async () => {
    await withWrite(t.name, async (ds) => {
      await mkns(ds, "a", "b");
      for (let i = 0; i < 3; i++) await writeSnapshot(ds, "a", "vm/100", T0 + i);
      const held = await lockSnapshot(t.name, ns("a"), { ...vm100, time: T0 + 2 }, "shared");
      try {
        await expect(moveGroup(ds, ns("a"), vm100, ns("b"), true, collectingLog())).rejects.toThrow(
          /unable to acquire snapshot lock/,
        );
      } finally {
        await held.release();
      }
      // nothing moved, and no empty target group was left behind
      expect(await times(ds, "a")).toEqual([T0, T0 + 1, T0 + 2]);
      expect(existsSync(path.join(t.path, "ns/b/vm/100"))).toBe(false);
      await moveGroup(ds, ns("a"), vm100, ns("b"), true, collectingLog());
      expect(await times(ds, "b")).toEqual([T0, T0 + 1, T0 + 2]);
      expect(existsSync(path.join(t.path, "ns/a/vm/100"))).toBe(false);
    });
  });

  it("holds every snapshot of the group across its renames: no snapshot lock can be taken meanwhile", async () => {
    await withWrite(t.name, async (ds) => {
      await mkns(ds, "a", "b");
      for (let i = 0; i < 3; i++) await writeSnapshot(ds, "a", "vm/100", T0 + i);
      const attempts: string[] = [];
      await moveGroup(ds, ns("a"), vm100, ns("b"), true, collectingLog(), undefined, {
        midBatch: async () => {
          // Between the journal write and the renames: a verify, a reader or a destroy of any
          // snapshot of the group would have to wait until the move is done.
          for (const [time, mode] of [[T0, "shared"], [T0 + 2, "exclusive"]] as const) {
            const outcome = await lockSnapshot(t.name, ns("a"), { ...vm100, time }, mode).then(
              async (g) => (await g.release(), "locked"),
              (err: Error) => err.message,
            );
            attempts.push(outcome);
          }
        },
      });
      expect(attempts).toHaveLength(2);
      for (const a of attempts) expect(a).toMatch(/^unable to acquire (shared )?snapshot lock .*Unable to acquire lock ".*\/locks\/[^/]+\/a\/vm-100" - held by pid/);
      expect(await times(ds, "b")).toEqual([T0, T0 + 1, T0 + 2]);
      // Nothing is left locked once the move is done.
      for (const time of [T0, T0 + 1]) await (await lockSnapshot(t.name, ns("b"), { ...vm100, time }, "exclusive")).release();
    });
  });

  it("dry run: plans a move, a merge and a conflict, and changes nothing", async () => {
    await withWrite(t.name, async (ds) => {
      await mkns(ds, "a", "b");
      await writeSnapshot(ds, "a", "vm/100", T0 + 60);
      const before = readFileSync(path.join(t.path, "ns/a/vm/100/owner"), "utf8");
      const plan = await planMoveGroup(ds, ns("a"), vm100, ns("b"), true);
      expect(plan.groups).toEqual([
        { ns: "a", "backup-type": "vm", "backup-id": "100", "target-ns": "b", action: "move", snapshots: 1 },
      ]);
      await writeSnapshot(ds, "b", "vm/100", T0);
      expect((await planMoveGroup(ds, ns("a"), vm100, ns("b"), true)).groups[0]!.action).toBe("merge");
      await writeSnapshot(ds, "b", "vm/100", T0 + 100);
      const conflict = await planMoveGroup(ds, ns("a"), vm100, ns("b"), true);
      expect(conflict.groups[0]).toMatchObject({ action: "conflict", reason: expect.stringContaining("snapshot time mismatch") });
      expect(readFileSync(path.join(t.path, "ns/a/vm/100/owner"), "utf8")).toBe(before);
      expect(await times(ds, "a")).toEqual([T0 + 60]);
    });
  });
});

describe("move-namespace", () => {
  it("refuses root, self, own subtree, missing source and missing target parent", async () => {
    await withWrite(t.name, async (ds) => {
      await mkns(ds, "a", "a/b");
      const store = storeOf(ds);
      const log = collectingLog();
      const cases: [string, string, string][] = [
        ["", "x", "cannot move root namespace"],
        ["a", "a", "source and target namespace must be different"],
        ["nope", "x", "source namespace 'nope' does not exist"],
        ["a", "x/y", "target parent namespace 'x' does not exist"],
        ["a", "a/b/c", "cannot move namespace 'a' into its own subtree (target: 'a/b/c')"],
        ["a/b", "", "cannot move a namespace into the root namespace"],
      ];
      for (const [src, dst, msg] of cases) {
        await expect(moveNamespace(ds, ns(src), ns(dst), {}, log)).rejects.toThrow(msg);
      }
      expect((await ds.listNamespaces(ns(""))).map((n) => n.ns)).toEqual(["", "a", "a/b"]);
    });
  });

  it("moves a subtree into a new target, creating it parent first, and removes the source", async () => {
    await withWrite(t.name, async (ds) => {
      await mkns(ds, "src", "src/x", "src/x/y", "dst");
      await writeSnapshot(ds, "src", "vm/100", T0);
      await writeSnapshot(ds, "src/x", "ct/1", T0);
      await writeSnapshot(ds, "src/x/y", "host/h", T0);
      const plan = await planMoveNamespace(ds, ns("src"), ns("dst/new"), {});
      const log = collectingLog();
      const r = await moveNamespace(ds, ns("src"), ns("dst/new"), {}, log);
      expect(r.moved).toBe(3);
      expect((await ds.listNamespaces(ns(""))).map((n) => n.ns)).toEqual(["", "dst", "dst/new", "dst/new/x", "dst/new/x/y"]);
      expect(await times(ds, "dst/new/x/y", { type: "host", id: "h" })).toEqual([T0]);
      expect(log.lines.map((l) => l.message)).toEqual(
        expect.arrayContaining(["moving namespace 'src' -> 'dst/new': 3 namespace(s)", "moved group 3 of 3 ('host/h' in 'src/x/y')"]),
      );
      // the dry run said exactly this
      expect(plan["namespaces-created"]).toEqual(["dst/new", "dst/new/x", "dst/new/x/y"]);
      expect(plan["namespaces-removed"]).toEqual(["src/x/y", "src/x", "src"]);
      expect(plan.groups.map((g) => g.action)).toEqual(["move", "move", "move"]);
    });
  });

  it("refuses a move that would exceed depth 7 before moving anything", async () => {
    await withWrite(t.name, async (ds) => {
      await mkns(ds, "s", "s/1", "s/1/2", "1", "1/2", "1/2/3", "1/2/3/4", "1/2/3/4/5");
      await writeSnapshot(ds, "s", "vm/100", T0);
      const plan = await planMoveNamespace(ds, ns("s"), ns("1/2/3/4/5/6"), {});
      expect(plan["depth-check"]).toMatchObject({ ok: false, "subtree-depth": 2, "target-depth": 6 });
      await expect(moveNamespace(ds, ns("s"), ns("1/2/3/4/5/6"), {}, collectingLog())).rejects.toThrow(
        "namespace depth limit exceeded: source subtree depth (2) + target depth (6) would exceed max (7)",
      );
      expect(await times(ds, "s")).toEqual([T0]);
      expect(existsSync(path.join(t.path, "ns/1/ns/2/ns/3/ns/4/ns/5/ns/6"))).toBe(false);
    });
  });

  it("max-depth 0 moves only the top namespace's groups and keeps its children silently", async () => {
    await withWrite(t.name, async (ds) => {
      await mkns(ds, "src", "src/child", "dst");
      await writeSnapshot(ds, "src", "vm/100", T0);
      await writeSnapshot(ds, "src/child", "ct/1", T0);
      const log = collectingLog();
      await moveNamespace(ds, ns("src"), ns("dst/src"), { maxDepth: 0 }, log);
      expect(await times(ds, "dst/src")).toEqual([T0]);
      expect(await times(ds, "src/child", { type: "ct", id: "1" })).toEqual([T0]);
      expect(log.lines.filter((l) => l.level === "warn")).toEqual([]);
    });
  });

  it("defers a locked group, retries it once, reports it, moves the rest and keeps its namespace", async () => {
    await withWrite(t.name, async (ds) => {
      await mkns(ds, "src", "src/sub", "dst");
      await writeSnapshot(ds, "src", "vm/100", T0);
      await writeSnapshot(ds, "src", "vm/101", T0);
      await writeSnapshot(ds, "src/sub", "ct/1", T0);
      const guard = await lockGroup(t.name, ns("src"), { type: "vm", id: "101" });
      const log = collectingLog();
      try {
        await expect(moveNamespace(ds, ns("src"), ns("dst/src"), {}, log)).rejects.toThrow(
          /^namespace move partially completed; 1 group\(s\) could not be moved and remain at source; 1 still lock-conflicted \(rerun move-namespace or move-group may succeed\): 'vm\/101' in 'src'$/,
        );
      } finally {
        await guard.release();
      }
      const msgs = log.lines.map((l) => l.message);
      expect(msgs.some((m) => m.startsWith("deferring group 'vm/101' in 'src' - lock conflict, will retry:"))).toBe(true);
      expect(msgs).toContain("retrying 1 deferred group(s)...");
      expect(msgs.some((m) => m.startsWith("still locked after retry: group 'vm/101' in 'src':"))).toBe(true);
      expect(msgs).toContain("skipping source namespace 'src' cleanup: contains group(s) that failed to move");
      expect(await times(ds, "dst/src")).toEqual([T0]);
      expect(await times(ds, "dst/src/sub", { type: "ct", id: "1" })).toEqual([T0]);
      expect(await times(ds, "src", { type: "vm", id: "101" })).toEqual([T0]);
      expect(existsSync(path.join(t.path, "ns/src/ns/sub"))).toBe(false);
      // running it again completes the move
      await moveNamespace(ds, ns("src"), ns("dst/src"), {}, collectingLog());
      expect(existsSync(path.join(t.path, "ns/src"))).toBe(false);
      expect(await times(ds, "dst/src", { type: "vm", id: "101" })).toEqual([T0]);
    });
  });

  it("moves a deferred group on the retry once its lock is free, and removes the emptied source", async () => {
    await withWrite(t.name, async (ds) => {
      await mkns(ds, "src", "dst");
      await writeSnapshot(ds, "src", "vm/100", T0);
      await writeSnapshot(ds, "src", "vm/101", T0);
      const guard = await lockGroup(t.name, ns("src"), { type: "vm", id: "101" });
      const log = collectingLog();
      try {
        const result = await moveNamespace(ds, ns("src"), ns("dst/src"), {}, log, undefined, {
          beforeRetry: () => guard.release(),
        });
        expect(result).toEqual({ moved: 2, failedFatal: [], failedRetryable: [] });
      } finally {
        await guard.release();
      }
      const msgs = log.lines.map((l) => l.message);
      expect(msgs.some((m) => m.startsWith("deferring group 'vm/101' in 'src' - lock conflict, will retry:"))).toBe(true);
      expect(msgs).toContain("moved group 2 of 2 ('vm/101' in 'src') on retry");
      expect(await times(ds, "dst/src", { type: "vm", id: "101" })).toEqual([T0]);
      expect(existsSync(path.join(t.path, "ns/src"))).toBe(false);
    });
  });

  it("finishes an interrupted removal: an ownerless, empty source group is removed, not moved", async () => {
    await withWrite(t.name, async (ds) => {
      await mkns(ds, "src", "dst");
      await writeSnapshot(ds, "src", "vm/100", T0);
      // What a move killed between deleting the owner file and the directory leaves behind.
      mkdirSync(path.join(t.path, "ns/src/ct/7"), { recursive: true });
      const log = collectingLog();
      await moveNamespace(ds, ns("src"), ns("dst/src"), {}, log);
      expect(log.lines.map((l) => l.message)).toContain(
        "removing leftover of an interrupted move: group 'ct/7' in 'src' has no owner and no snapshots",
      );
      expect(existsSync(path.join(t.path, "ns/dst/ns/src/ct/7"))).toBe(false);
      expect(existsSync(path.join(t.path, "ns/src"))).toBe(false);
      expect(await times(ds, "dst/src")).toEqual([T0]);
    });
  });

  it("refuses to move a group that has snapshots but an empty owner file, and leaves it where it is", async () => {
    await withWrite(t.name, async (ds) => {
      await mkns(ds, "a", "b");
      await writeSnapshot(ds, "a", "vm/100", T0);
      writeFileSync(path.join(t.path, "ns/a/vm/100/owner"), "");
      await expect(moveGroup(ds, ns("a"), vm100, ns("b"), false, collectingLog())).rejects.toThrow(/^parsing owner for vm\/100 failed/);
      expect(await times(ds, "a")).toEqual([T0]);
      expect(existsSync(path.join(t.path, "ns/b/vm/100"))).toBe(false);
    });
  });

  it("adopts an ownerless, empty target group (a creator killed before writing the owner) and gives it the source's owner", async () => {
    await withWrite(t.name, async (ds) => {
      await mkns(ds, "a", "b");
      await writeSnapshot(ds, "a", "vm/100", T0, { owner: "alice@pbs" });
      mkdirSync(path.join(t.path, "ns/b/vm/100"), { recursive: true });
      const log = collectingLog();
      await moveGroup(ds, ns("a"), vm100, ns("b"), true, log);
      // A plain move, not a merge: the leftover never held a snapshot or an owner.
      expect(log.lines.map((l) => l.message)).toContain("moving group 'vm/100' from 'a' to 'b'");
      expect(await times(ds, "b")).toEqual([T0]);
      expect(readFileSync(path.join(t.path, "ns/b/vm/100/owner"), "utf8")).toBe("alice@pbs\n");
      expect(existsSync(path.join(t.path, "ns/a/vm/100"))).toBe(false);
    });
  });

  it("reports fatal and retryable failures in one message; delete-source=false keeps empty namespaces", async () => {
    await withWrite(t.name, async (ds) => {
      await mkns(ds, "src", "dst", "dst/src");
      await writeSnapshot(ds, "src", "vm/100", T0 + 60, { owner: "bob@pbs" });
      await writeSnapshot(ds, "dst/src", "vm/100", T0); // owned by root@pam: merge refused
      await writeSnapshot(ds, "src", "ct/7", T0);
      const plan = await planMoveNamespace(ds, ns("src"), ns("dst/src"), { deleteSource: false });
      expect(plan.groups.map((g) => [g["backup-id"], g.action])).toEqual([
        ["7", "move"],
        ["100", "conflict"],
      ]);
      await expect(moveNamespace(ds, ns("src"), ns("dst/src"), { deleteSource: false }, collectingLog())).rejects.toThrow(
        "namespace move partially completed; 1 group(s) could not be moved and remain at source; 1 with a fatal error (investigate before retrying): 'vm/100' in 'src'",
      );
      expect(existsSync(path.join(t.path, "ns/src/ct"))).toBe(true); // empty type dir kept
      expect(await times(ds, "dst/src", { type: "ct", id: "7" })).toEqual([T0]);
    });
  });

  /** A namespace move of six groups with a GC drain started in group `startIn`; what the drain saw. */
  async function drainDuringMove(journalHoldMs: number, startIn = 1, clockPast?: number) {
    return withWrite(t.name, async (ds) => {
      await mkns(ds, "src", "dst");
      for (let id = 1; id <= 6; id++) await writeSnapshot(ds, "src", `vm/${id}`, T0);
      const batches: number[] = [];
      let drain: Promise<number> | undefined;
      let drainedAfterBatches = 0;
      const drainedEntries: string[] = [];
      await moveNamespace(ds, ns("src"), ns("dst/src"), {}, collectingLog(), undefined, {
        journalHoldMs,
        midBatch: async () => {
          batches.push(batches.length + 1);
          if (drain || batches.length < startIn) return;
          // GC's drain, in the middle of a group: it must wait for the group's renames.
          drain = drainMoveJournal(t.name, async (entry) => {
            expect(existsSync(entry)).toBe(true); // journalled and renamed before the drain
            drainedEntries.push(entry);
          }).then((n) => {
            drainedAfterBatches = batches.length;
            return n;
          });
          await waitUntil(() => hasLockWaiters(path.resolve(journalLock(t.name))), 20_000, "the drain waiting", 5);
          // The move's last look for waiters was before this group's renames; let the clock pass
          // the interval between two looks, which is what the next append is judged by.
          const checked = Date.now();
          if (clockPast !== undefined) await waitUntil(() => Date.now() > checked + clockPast, 20_000, "the clock to move on", 1);
        },
      });
      const drained = await drain;
      // Nobody waits any more.
      expect(hasLockWaiters(path.resolve(journalLock(t.name)))).toBe(false);
      expect(existsSync(`${path.resolve(journalLock(t.name))}.waiting`)).toBe(false);
      return { drained, drainedAfterBatches, drainedEntries, left: await readMoveJournal(t.name) };
    });
  }

  it("keeps the journal across groups, and lets a waiting drain in between two of them", async () => {
    const r = await drainDuringMove(0);
    // The move let the drain in after the first group, not only when it was done.
    expect(r.drainedAfterBatches).toBe(1);
    expect(r.drained).toBe(1);
    expect(r.drainedEntries).toEqual([`${path.join(t.path, "ns/dst/ns/src/vm/1")}/2023-11-14T22:13:20Z/`]);
    // The other five groups were journalled after the drain.
    expect(r.left).toHaveLength(5);
  });

  it("looks for waiters again between appends once its quantum is used up, not only once", async () => {
    // A 1 ms quantum: the second group's append looks and finds nobody; the drain then starts
    // and waits through the second group's renames, and the third group's append must look again.
    const r = await drainDuringMove(1, 2, 1);
    expect(r.drainedAfterBatches).toBe(2);
    expect(r.drained).toBe(2);
  });

  it("keeps the journal for its quantum before it lets a waiter in", async () => {
    // A quantum longer than the move: the drain gets the journal only when the move is done.
    const r = await drainDuringMove(3_600_000);
    expect(r.drainedAfterBatches).toBe(6);
    expect(r.drained).toBe(6);
    expect(r.left).toEqual([]);
  });
});

describe("draining the move journal", () => {
  const snapDir = (n: string, id: string) => `${path.join(t.path, n === "" ? "" : `ns/${n.split("/").join("/ns/")}`, "vm", id)}/2023-11-14T22:13:20Z/`;

  it("marks a large journal without its lock, so moves go on, and marks a snapshot moved again meanwhile at its last place", async () => {
    await withWrite(t.name, async (ds) => {
      await mkns(ds, "src", "dst");
      for (const id of ["1", "2"]) {
        await writeSnapshot(ds, "src", `vm/${id}`, T0);
        await moveGroup(ds, ns("src"), { type: "vm", id }, ns("dst"), false, collectingLog());
      }
      const marked: [string, boolean][] = [];
      const drained = await drainMoveJournal(
        t.name,
        async (entry) => {
          if (marked.length === 0) {
            // A move while the first round marks: it needs the journal, which the drain let go.
            await moveGroup(ds, ns("dst"), { type: "vm", id: "1" }, ns("src"), false, collectingLog());
          }
          marked.push([entry, existsSync(entry)]);
        },
        { lockedMax: 1 },
      );
      expect(marked).toEqual([
        [snapDir("dst", "1"), false], // moved away before it was marked: skipped there ...
        [snapDir("dst", "2"), true],
        [snapDir("src", "1"), true], // ... and marked where it went, in the round under the lock
      ]);
      expect(drained).toBe(3);
      expect(await readMoveJournal(t.name)).toEqual([]);
      expect(readdirSync(path.dirname(path.resolve(journalLock(t.name)))).filter((n) => n.endsWith(".draining"))).toEqual([]);
    });
  });

  async function failThenDrain(alone: boolean) {
    await withWrite(t.name, async (ds) => {
      await mkns(ds, "src", "dst");
      for (const id of ["1", "2", "3"]) {
        await writeSnapshot(ds, "src", `vm/${id}`, T0);
        await moveGroup(ds, ns("src"), { type: "vm", id }, ns("dst"), false, collectingLog());
      }
      let calls = 0;
      await expect(
        drainMoveJournal(
          t.name,
          async () => {
            if (++calls === 2) throw new Error("disk on fire");
          },
          { lockedMax: 1 },
        ),
      ).rejects.toThrow(`move-journal: processing '${snapDir("dst", "2")}' failed: disk on fire`);
      // Taken away from the journal, but kept.
      expect(await readMoveJournal(t.name)).toEqual([]);
      if (alone) {
        // Nothing new since: what the failed drain took is all there is, drained in rounds too.
        const marked: string[] = [];
        expect(await drainMoveJournal(t.name, async (entry) => void marked.push(entry), { lockedMax: 1 })).toBe(3);
        expect(marked).toEqual(["1", "2", "3"].map((id) => snapDir("dst", id)));
        return;
      }
      await writeSnapshot(ds, "src", "vm/4", T0);
      await moveGroup(ds, ns("src"), { type: "vm", id: "4" }, ns("dst"), false, collectingLog());
      const marked: string[] = [];
      expect(await drainMoveJournal(t.name, async (entry) => void marked.push(entry))).toBe(4);
      expect(marked).toEqual(["1", "2", "3", "4"].map((id) => snapDir("dst", id)));
    });
    expect(readdirSync(path.dirname(path.resolve(journalLock(t.name)))).filter((n) => n.endsWith(".draining"))).toEqual([]);
  }

  it("keeps what it took when marking fails, and the next drain marks it first", () => failThenDrain(false));

  it("drains what a failed drain took when nothing was journalled since", () => failThenDrain(true));
});
