import { existsSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { setMaintenanceMode } from "../../config/datastore-config";
import { lockSnapshot } from "../locking/locks";
import { collectingLog } from "../model/log";
import { BackupNamespace, formatBackupTime, parseBackupTime, parseSnapshotPath } from "../model/names";
import { openDatastore } from "../open";
import { computePruneInfo, type KeepOptions, markKeeps, planPrune, type PruneCandidate, pruneGroup } from "./prune";
import { useTempStore, withWrite, writeSnapshot, type TempStore } from "../test-support/temp-store";
import { coffer, killTasks, track } from "../../tasks/test-support/env";
import { parseUpid } from "../../tasks/core/upid";

// ---------------------------------------------------------------------------------------------
// PBS tests/prune.rs, ported case by case (reference pbs-engine.md 10.1). vitest runs with
// TZ=UTC, so the local-time selection keys are the UTC ones these expectations assume.

interface Info extends PruneCandidate {
  path: string;
}

/** PBS `create_info`: a partial info has no manifest. */
function createInfo(snapshot: string, partial: boolean): Info {
  const s = parseSnapshotPath(snapshot);
  return { path: snapshot, time: s.time, finished: !partial, protected: false };
}

function createInfoProtected(snapshot: string, partial: boolean): Info {
  return { ...createInfo(snapshot, partial), protected: true };
}

/** PBS `get_prune_list`: oldest first, the kept ones or the removed ones. */
function getPruneList(list: Info[], returnKept: boolean, options: KeepOptions): string[] {
  return computePruneInfo(list, options)
    .reverse()
    .filter(({ mark }) => markKeeps(mark) === returnKept)
    .map(({ info }) => info.path);
}

describe("PBS prune tests", () => {
  it("runs with TZ=UTC, as the ported expectations assume", () => {
    expect(new Date(0).getTimezoneOffset()).toBe(0);
  });

  it("test_prune_protected", () => {
    const origList = [
      createInfoProtected("host/elsa/2019-11-15T09:39:15Z", false),
      createInfo("host/elsa/2019-11-15T10:39:15Z", false),
      createInfo("host/elsa/2019-11-15T10:49:15Z", false),
      createInfoProtected("host/elsa/2019-11-15T10:59:15Z", false),
    ];

    expect(getPruneList(origList, false, { "keep-last": 1 })).toEqual(["host/elsa/2019-11-15T10:39:15Z"]);
    expect(getPruneList(origList, false, { "keep-hourly": 1 })).toEqual(["host/elsa/2019-11-15T10:39:15Z"]);
  });

  it("test_prune_hourly", () => {
    const origList = [
      createInfo("host/elsa/2019-11-15T09:39:15Z", false),
      createInfo("host/elsa/2019-11-15T10:49:15Z", false),
      createInfo("host/elsa/2019-11-15T10:59:15Z", false),
      createInfo("host/elsa/2019-11-15T11:39:15Z", false),
      createInfo("host/elsa/2019-11-15T11:49:15Z", false),
      createInfo("host/elsa/2019-11-15T11:59:15Z", false),
    ];

    expect(getPruneList(origList, false, { "keep-hourly": 3 })).toEqual([
      "host/elsa/2019-11-15T10:49:15Z",
      "host/elsa/2019-11-15T11:39:15Z",
      "host/elsa/2019-11-15T11:49:15Z",
    ]);

    expect(getPruneList(origList, true, { "keep-hourly": 2 })).toEqual([
      "host/elsa/2019-11-15T10:59:15Z",
      "host/elsa/2019-11-15T11:59:15Z",
    ]);
  });

  it("test_prune_simple2", () => {
    const origList = [
      createInfo("host/elsa/2018-11-15T11:59:15Z", false),
      createInfo("host/elsa/2019-11-15T11:59:15Z", false),
      createInfo("host/elsa/2019-11-21T11:59:15Z", false),
      createInfo("host/elsa/2019-11-22T11:59:15Z", false),
      createInfo("host/elsa/2019-11-29T11:59:15Z", false),
      createInfo("host/elsa/2019-12-01T11:59:15Z", false),
      createInfo("host/elsa/2019-12-02T11:59:15Z", false),
      createInfo("host/elsa/2019-12-03T11:59:15Z", false),
      createInfo("host/elsa/2019-12-04T11:59:15Z", false),
    ];

    expect(getPruneList(origList, true, { "keep-daily": 1 })).toEqual(["host/elsa/2019-12-04T11:59:15Z"]);

    expect(getPruneList(origList, true, { "keep-last": 1, "keep-daily": 1 })).toEqual([
      "host/elsa/2019-12-03T11:59:15Z",
      "host/elsa/2019-12-04T11:59:15Z",
    ]);

    expect(getPruneList(origList, true, { "keep-daily": 1, "keep-weekly": 1 })).toEqual([
      "host/elsa/2019-12-01T11:59:15Z",
      "host/elsa/2019-12-04T11:59:15Z",
    ]);

    expect(getPruneList(origList, true, { "keep-daily": 1, "keep-weekly": 1, "keep-monthly": 1 })).toEqual([
      "host/elsa/2019-11-22T11:59:15Z",
      "host/elsa/2019-12-01T11:59:15Z",
      "host/elsa/2019-12-04T11:59:15Z",
    ]);

    expect(getPruneList(origList, true, { "keep-monthly": 1, "keep-yearly": 1 })).toEqual([
      "host/elsa/2018-11-15T11:59:15Z",
      "host/elsa/2019-12-04T11:59:15Z",
    ]);
  });

  it("test_prune_simple", () => {
    const origList = [
      createInfo("host/elsa/2019-12-02T11:59:15Z", false),
      createInfo("host/elsa/2019-12-03T11:59:15Z", false),
      createInfo("host/elsa/2019-12-04T11:59:15Z", false),
      createInfo("host/elsa/2019-12-04T12:59:15Z", false),
    ];

    // keep-last tests
    expect(getPruneList(origList, false, { "keep-last": 4 })).toEqual([]);
    expect(getPruneList(origList, false, { "keep-last": 3 })).toEqual(["host/elsa/2019-12-02T11:59:15Z"]);
    expect(getPruneList(origList, false, { "keep-last": 2 })).toEqual([
      "host/elsa/2019-12-02T11:59:15Z",
      "host/elsa/2019-12-03T11:59:15Z",
    ]);
    expect(getPruneList(origList, false, { "keep-last": 1 })).toEqual([
      "host/elsa/2019-12-02T11:59:15Z",
      "host/elsa/2019-12-03T11:59:15Z",
      "host/elsa/2019-12-04T11:59:15Z",
    ]);
    expect(getPruneList(origList, false, { "keep-last": 0 })).toEqual([
      "host/elsa/2019-12-02T11:59:15Z",
      "host/elsa/2019-12-03T11:59:15Z",
      "host/elsa/2019-12-04T11:59:15Z",
      "host/elsa/2019-12-04T12:59:15Z",
    ]);

    // keep-last, keep-daily mixed
    expect(getPruneList(origList, false, { "keep-last": 2, "keep-daily": 2 })).toEqual([]);

    // keep-daily test
    expect(getPruneList(origList, false, { "keep-daily": 3 })).toEqual(["host/elsa/2019-12-04T11:59:15Z"]);

    // keep-daily test
    expect(getPruneList(origList, false, { "keep-daily": 2 })).toEqual([
      "host/elsa/2019-12-02T11:59:15Z",
      "host/elsa/2019-12-04T11:59:15Z",
    ]);

    const allButNewest = [
      "host/elsa/2019-12-02T11:59:15Z",
      "host/elsa/2019-12-03T11:59:15Z",
      "host/elsa/2019-12-04T11:59:15Z",
    ];
    // keep-weekly
    expect(getPruneList(origList, false, { "keep-weekly": 5 })).toEqual(allButNewest);
    // keep-monthly
    expect(getPruneList(origList, false, { "keep-monthly": 6 })).toEqual(allButNewest);
    // keep-yearly
    expect(getPruneList(origList, false, { "keep-yearly": 7 })).toEqual(allButNewest);
    // keep-daily + keep-weekly
    expect(getPruneList(origList, false, { "keep-daily": 1, "keep-weekly": 5 })).toEqual(allButNewest);
    // keep-weekly + keep-monthly + keep-yearly
    expect(getPruneList(origList, false, { "keep-weekly": 5, "keep-monthly": 6, "keep-yearly": 7 })).toEqual(allButNewest);
  });
});

describe("computePruneInfo beyond the PBS tests", () => {
  it("keeps the newest unfinished snapshot only while no finished one is newer", () => {
    const list = [
      createInfo("host/elsa/2019-12-01T10:00:00Z", true), // older unfinished: removed
      createInfo("host/elsa/2019-12-02T10:00:00Z", false),
      createInfo("host/elsa/2019-12-03T10:00:00Z", true), // newest, unfinished: kept as partial
    ];
    const marks = computePruneInfo(list, { "keep-last": 1 }).map(({ info, mark }) => [info.path, mark]);
    expect(marks).toEqual([
      ["host/elsa/2019-12-03T10:00:00Z", "keep-partial"],
      ["host/elsa/2019-12-02T10:00:00Z", "keep"],
      ["host/elsa/2019-12-01T10:00:00Z", "remove"],
    ]);
    // A finished snapshot newer than every unfinished one: none is kept.
    const newerFinished = [...list, createInfo("host/elsa/2019-12-04T10:00:00Z", false)];
    const m2 = computePruneInfo(newerFinished, { "keep-last": 1 }).map(({ mark }) => mark);
    expect(m2).toEqual(["keep", "remove", "remove", "remove"]);
  });

  it("uses ISO week-years for keep-weekly across a year boundary", () => {
    // 2019-12-30 (Mon) and 2020-01-01 (Wed) are both in ISO week 2020/01; 2019-12-29 (Sun) is 2019/52.
    const list = ["2019-12-29T10:00:00Z", "2019-12-30T10:00:00Z", "2020-01-01T10:00:00Z"].map((t) =>
      createInfo(`host/elsa/${t}`, false),
    );
    const kept = getPruneList(list, true, { "keep-weekly": 2 });
    expect(kept).toEqual(["host/elsa/2019-12-29T10:00:00Z", "host/elsa/2020-01-01T10:00:00Z"]);
  });
});

// ---------------------------------------------------------------------------------------------
// pruneGroup on a real store.

const root = BackupNamespace.root;
const vm100 = { type: "vm" as const, id: "100" };
const day = 86_400;
const T0 = parseBackupTime("2024-03-01T12:00:00Z");

describe("pruneGroup", () => {
  let t: TempStore | undefined;
  afterEach(async () => {
    await t?.cleanup();
    t = undefined;
  });

  async function fourDays(opts: { protectIndex?: number; unfinishedNewest?: boolean } = {}) {
    t = await useTempStore();
    await withWrite(t.name, async (ds) => {
      for (let i = 0; i < 4; i++) {
        await writeSnapshot(ds, "", "vm/100", T0 + i * day, { protect: opts.protectIndex === i });
      }
      if (opts.unfinishedNewest) await writeSnapshot(ds, "", "vm/100", T0 + 4 * day, { finish: false });
    });
    return t;
  }

  const dir = (time: number) => path.join(t!.path, "vm/100", formatBackupTime(time));

  it("dry-run returns PBS's result list oldest first and changes nothing", async () => {
    await fourDays({ protectIndex: 0 });
    const res = await withWrite(t!.name, (ds) => pruneGroup(ds, root, vm100, { "keep-last": 2 }, { dryRun: true }));
    expect(res).toEqual([
      { "backup-type": "vm", "backup-id": "100", "backup-time": T0, keep: true, protected: true },
      { "backup-type": "vm", "backup-id": "100", "backup-time": T0 + day, keep: false, protected: false },
      { "backup-type": "vm", "backup-id": "100", "backup-time": T0 + 2 * day, keep: true, protected: false },
      { "backup-type": "vm", "backup-id": "100", "backup-time": T0 + 3 * day, keep: true, protected: false },
    ]);
    for (let i = 0; i < 4; i++) expect(existsSync(dir(T0 + i * day))).toBe(true);
  });

  it("removes what is not kept, oldest first, never a protected snapshot, and logs each decision", async () => {
    await fourDays({ protectIndex: 0 });
    const log = collectingLog();
    await withWrite(t!.name, (ds) => pruneGroup(ds, root, vm100, { "keep-last": 1 }, { log }));
    expect(existsSync(dir(T0))).toBe(true); // protected
    expect(existsSync(dir(T0 + day))).toBe(false);
    expect(existsSync(dir(T0 + 2 * day))).toBe(false);
    expect(existsSync(dir(T0 + 3 * day))).toBe(true);
    const lines = log.lines.map((l) => l.message);
    expect(lines).toContain("retention options: --keep-last 1");
    expect(lines).toContain(`Starting prune on datastore '${t!.name}', root namespace group "vm/100"`);
    expect(lines.filter((l) => l.startsWith("vm/100/"))).toEqual([
      "vm/100/2024-03-01T12:00:00Z keep protected",
      "vm/100/2024-03-02T12:00:00Z remove",
      "vm/100/2024-03-03T12:00:00Z remove",
      "vm/100/2024-03-04T12:00:00Z keep",
    ]);
    expect(log.lines.filter((l) => l.level === "warn")).toEqual([]);
  });

  it("keeps the unfinished newest snapshot as partial", async () => {
    await fourDays({ unfinishedNewest: true });
    const log = collectingLog();
    await withWrite(t!.name, (ds) => pruneGroup(ds, root, vm100, { "keep-last": 1 }, { log }));
    expect(existsSync(dir(T0 + 4 * day))).toBe(true);
    expect(existsSync(dir(T0 + 3 * day))).toBe(true);
    expect(existsSync(dir(T0 + 2 * day))).toBe(false);
    expect(log.lines.map((l) => l.message)).toContain("vm/100/2024-03-05T12:00:00Z keep partial");
  });

  it("keeps everything without a keep option, with a warning", async () => {
    await fourDays();
    const log = collectingLog();
    const res = await withWrite(t!.name, (ds) => pruneGroup(ds, root, vm100, {}, { log }));
    expect(res.every((r) => r.keep)).toBe(true);
    for (let i = 0; i < 4; i++) expect(existsSync(dir(T0 + i * day))).toBe(true);
    expect(log.lines).toContainEqual({ level: "warn", message: "No prune selection - keeping all files." });
  });

  it("warns about a snapshot it cannot remove because it is locked, and goes on", async () => {
    await fourDays();
    // A reader (or a running backup's base) holds the oldest snapshot.
    const guard = await lockSnapshot(t!.name, root, { ...vm100, time: T0 }, "shared");
    const log = collectingLog();
    try {
      await withWrite(t!.name, (ds) => pruneGroup(ds, root, vm100, { "keep-last": 1 }, { log }));
    } finally {
      await guard.release();
    }
    expect(existsSync(dir(T0))).toBe(true);
    expect(existsSync(dir(T0 + day))).toBe(false);
    expect(existsSync(dir(T0 + 2 * day))).toBe(false);
    expect(existsSync(dir(T0 + 3 * day))).toBe(true);
    const warns = log.lines.filter((l) => l.level === "warn").map((l) => l.message);
    expect(warns).toHaveLength(1);
    expect(warns[0]).toMatch(/^failed to remove dir "vm\/100\/2024-03-01T12:00:00Z": while destroying snapshot .*unable to acquire snapshot lock/);
  });

  it("previews from a read handle, so a dry run works in read-only maintenance", async () => {
    await fourDays();
    await setMaintenanceMode(t!.name, { type: "read-only" });
    const ds = await openDatastore(t!.name, "read");
    try {
      const plan = await planPrune(ds, root, vm100, { "keep-daily": 2 });
      expect(plan.entries.map((e) => e.keep)).toEqual([false, false, true, true]);
    } finally {
      await ds.close();
    }
    await expect(openDatastore(t!.name, "write")).rejects.toThrow(/read-only maintenance mode/);
    await setMaintenanceMode(t!.name, undefined);
    await expect(
      withWrite(t!.name, (ds) => pruneGroup(ds, root, { type: "vm", id: "404" }, { "keep-last": 1 })),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("coffer prune", () => {
  let t: TempStore | undefined;
  afterEach(async () => {
    await killTasks();
    await t?.cleanup();
    t = undefined;
  });

  it("previews with --dry-run (table or PBS JSON, no task) and prunes as a task", async () => {
    t = await useTempStore();
    await withWrite(t.name, async (ds) => {
      for (let i = 0; i < 3; i++) await writeSnapshot(ds, "", "vm/100", T0 + i * day);
    });
    const dir = (i: number) => path.join(t!.path, "vm/100", formatBackupTime(T0 + i * day));

    const table = await coffer(["prune", t.name, "vm/100", "--keep-last", "1", "--dry-run"]).done;
    expect(table.code).toBe(0);
    expect(table.stdout.split("\n").slice(2, 5)).toEqual([
      "vm/100/2024-03-01T12:00:00Z  remove",
      "vm/100/2024-03-02T12:00:00Z  remove",
      "vm/100/2024-03-03T12:00:00Z  keep",
    ]);
    const json = await coffer(["prune", t.name, "vm/100", "--keep-last", "1", "--dry-run", "--output-format", "json"]).done;
    expect(JSON.parse(json.stdout)).toEqual([
      { "backup-type": "vm", "backup-id": "100", "backup-time": T0, keep: false, protected: false },
      { "backup-type": "vm", "backup-id": "100", "backup-time": T0 + day, keep: false, protected: false },
      { "backup-type": "vm", "backup-id": "100", "backup-time": T0 + 2 * day, keep: true, protected: false },
    ]);
    expect([0, 1, 2].every((i) => existsSync(dir(i)))).toBe(true);

    const run = await coffer(["prune", t.name, "vm/100", "--keep-last", "1"]).done;
    const lines = run.stdout.trimEnd().split("\n");
    track(lines[0]!);
    expect(run.code).toBe(0);
    expect(parseUpid(lines[0]!)).toMatchObject({ workerType: "prune", workerId: `${t.name}::vm/100` });
    expect(lines.slice(1)).toEqual([
      "retention options: --keep-last 1",
      `Starting prune on datastore '${t.name}', root namespace group "vm/100"`,
      "vm/100/2024-03-01T12:00:00Z remove",
      "vm/100/2024-03-02T12:00:00Z remove",
      "vm/100/2024-03-03T12:00:00Z keep",
      "TASK OK",
    ]);
    expect([0, 1, 2].map((i) => existsSync(dir(i)))).toEqual([false, false, true]);

    const bad = await coffer(["prune", t.name, "vm/100", "--keep-last", "0"]).done;
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("coffer: option --keep-last takes a whole number from 1 to 100000, not 0");
  });
});
