import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { setMaintenanceMode } from "../../config/datastore-config";
import { garbageCollection } from "../../datastore/gc/gc";
import { collectingLog } from "../../datastore/model/log";
import { formatBackupTime } from "../../datastore/model/names";
import { storeOf } from "../../datastore/open";
import { ageAllChunks, chunkStoreFiles } from "../../datastore/test-support/gc-chunks";
import { missingChunks } from "../../datastore/test-support/store-check";
import { useTempStore, withWrite, type TempStore } from "../../datastore/test-support/temp-store";
import { startTask } from "../../tasks/core/runner";
import { readTaskLog } from "../../tasks/core/task-log";
import { taskStatus } from "../../tasks/core/task-status";
import { coffer, track, waitUntil } from "../../tasks/test-support/env";
import { parseUpid } from "../../tasks/core/upid";

const T0 = 1_700_000_000;
const MIB = 1024 * 1024;
let t: TempStore;
let work: string;

beforeEach(async () => {
  t = await useTempStore();
  work = mkdtempSync("/dev/shm/coffer-cli-backup-");
});
afterEach(async () => {
  await t.cleanup();
  rmSync(work, { recursive: true, force: true });
});

const lines = (out: string) => out.trimEnd().split("\n");

describe("coffer backup / restore", () => {
  it("survives kill -9 mid-backup: the snapshot stays unfinished, and GC, the next backup and a restore succeed", async () => {
    const small = path.join(work, "small.raw");
    const big = path.join(work, "big.raw");
    writeFileSync(small, randomBytes(2 * MIB + 3));
    writeFileSync(big, randomBytes(40 * MIB));
    writeFileSync(path.join(work, "vm.conf"), "cores: 1\n");

    const first = await coffer(["backup", t.name, "vm/100", `disk.img=${small}`, `vm.conf=${path.join(work, "vm.conf")}`, "--backup-time", String(T0)]).done;
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    track(lines(first.stdout)[0]!);
    expect(lines(first.stdout)[0]).toMatch(new RegExp(`^UPID:[^:]+:[0-9A-F]{8}:[0-9A-F]{8}:[0-9A-F]{8}:[0-9A-F]{8}:backup:${t.name}\\\\x3a-vm-100:root@pam:$`));
    expect(lines(first.stdout).at(-1)).toBe("TASK OK");

    // 40 MiB at 2 MiB/s: the second job would run for about 20 s; it is killed as soon as it
    // wrote its first new chunk (after about 2 s), which leaves a wide margin on a busy machine.
    const chunksAtStart = chunkStoreFiles(t.path).length;
    const run = coffer(["backup", t.name, "vm/100", `disk.img=${small}`, `big.img=${big}`, "--rate", "2", "--backup-time", String(T0 + 100)]);
    const upid = track(await run.line(/^UPID:/));
    await run.line(/^job 2\/2 'big\.img': image of /);
    await waitUntil(() => chunkStoreFiles(t.path).length > chunksAtStart, 15_000, "the killed backup to write a chunk");
    process.kill(parseUpid(upid).pid, "SIGKILL");
    const killed = await run.done;
    expect(killed.code).toBe(1);
    expect(killed.stdout).not.toContain("TASK");
    expect(await taskStatus(upid)).toMatchObject({ status: "stopped", exitstatus: "unknown" });

    const list = await coffer(["snapshot", "list", t.name, "--output-format", "json"]).done;
    expect((JSON.parse(list.stdout) as { "backup-time": number; finished: boolean }[]).map((s) => [s["backup-time"], s.finished])).toEqual([
      [T0, true],
      [T0 + 100, false],
    ]);
    const leftover = readdirSync(path.join(t.path, "vm/100", formatBackupTime(T0 + 100)));
    expect(leftover).not.toContain("index.json.blob");
    expect(leftover).not.toContain("big.img.fidx");

    // GC with every chunk aged past the cutoff: the dead writer's chunks are unreferenced and go,
    // the finished snapshot's stay.
    ageAllChunks(t.path, 2 * 86400);
    const chunksBefore = chunkStoreFiles(t.path).length;
    const gcLog = collectingLog();
    await withWrite(t.name, (ds) =>
      garbageCollection(ds, { upid: "UPID:test:00000001:00000001:00000000:65000000:garbage_collection:store1:root@pam:", log: gcLog, skipAtimeCheck: true }),
    );
    expect(chunkStoreFiles(t.path).length).toBeLessThan(chunksBefore);
    expect(missingChunks(t.path)).toEqual([]);

    const next = await coffer(["backup", t.name, "vm/100", `disk.img=${small}`, `big.img=${big}`, "--backup-time", String(T0 + 200)]).done;
    track(lines(next.stdout)[0]!);
    expect(next.code).toBe(0);
    const out = lines(next.stdout);
    // the base is the last finished snapshot, not the killed one
    expect(out).toContain(`previous backup: ${formatBackupTime(T0)}`);
    expect(out.some((l) => /^job 1\/2 'disk\.img': done, (unchanged|.*\(0 new, 1 reused\))/.test(l))).toBe(true);
    expect(out.some((l) => /^job 2\/2 'big\.img': done, 40\.00 MiB in 10 chunks \(10 new, 0 reused\)/.test(l))).toBe(true);
    expect(out.at(-1)).toBe("TASK OK");

    const dest = path.join(work, "restored.raw");
    const restored = await coffer(["restore", t.name, `vm/100/${formatBackupTime(T0 + 200)}`, "big.img", dest]).done;
    expect(restored.stderr).toBe("");
    expect(restored.stdout).toBe(`restored big.img.fidx (image, 40.00 MiB, 10 chunks verified) to ${dest}\n`);
    expect(readFileSync(dest).equals(readFileSync(big))).toBe(true);
    const again = await coffer(["restore", t.name, `vm/100/${formatBackupTime(T0 + 200)}`, "big.img", dest]).done;
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(
      `coffer: restore of 'big.img.fidx' from vm/100/${formatBackupTime(T0 + 200)} failed: destination '${dest}' exists; use --force to replace it\n`,
    );
  });

  it("read-only maintenance refuses a new backup with the maintenance message, from the CLI and in the task", async () => {
    writeFileSync(path.join(work, "vm.conf"), "cores: 1\n");
    await setMaintenanceMode(t.name, { type: "read-only", message: "disk swap" });
    const run = await coffer(["backup", t.name, "vm/100", `vm.conf=${path.join(work, "vm.conf")}`]).done;
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(`coffer: datastore '${t.name}' is unavailable: read-only maintenance mode: disk swap\n`);

    // The console starts the task directly: the task refuses just the same.
    const { upid } = await startTask("backup", {
      store: t.name,
      "backup-type": "vm",
      "backup-id": "100",
      archives: [{ archive: "vm.conf", path: path.join(work, "vm.conf") }],
    });
    track(upid);
    await waitUntil(async () => (await taskStatus(upid)).status !== "running", 20_000, "the backup task to end");
    const log = (await readTaskLog(upid)).lines.map((l) => l.t);
    expect(log.at(-1)).toMatch(new RegExp(`TASK ERROR: datastore '${t.name}' is unavailable: read-only maintenance mode: disk swap$`));
    expect(readdirSync(t.path).filter((n) => !n.startsWith("."))).toEqual([]);
  });

  it("refuses a source that does not fit its archive suffix before any task exists", async () => {
    mkdirSync(path.join(work, "dir"));
    const run = await coffer(["backup", t.name, "host/a", `root.img=${path.join(work, "dir")}`]).done;
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      `coffer: archive 'root.img' is an image (.img) of a regular file or block device, but '${path.join(work, "dir")}' is a directory: ` +
        "use <name>.img for an image of a file or block device, <name>.pxar or <name>.didx for a directory, " +
        "or <name>.conf, .json, .key, .log for a small file stored as a blob\n",
    );
  });
});
