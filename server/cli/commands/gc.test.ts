import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { setMaintenanceMode } from "../../config/datastore-config";
import { storeOf } from "../../datastore/open";
import { ageAllChunks, chunkFile, insertOrphan } from "../../datastore/test-support/gc-chunks";
import { useTempStore, withWrite, writeSnapshot, type TempStore } from "../../datastore/test-support/temp-store";
import { coffer, track } from "../../tasks/test-support/env";

let t: TempStore;
beforeEach(async () => {
  t = await useTempStore();
});
afterEach(async () => {
  await t.cleanup();
});

describe("coffer gc", () => {
  it("runs GC as a garbage_collection task and shows its result with `gc status`", async () => {
    expect((await coffer(["gc", "status", t.name]).done).stdout).toBe(`no garbage collection has run on datastore '${t.name}' yet\n`);
    const orphan = await withWrite(t.name, async (ds) => {
      await writeSnapshot(ds, "", "vm/100", 1_700_000_000, { image: randomBytes(64 * 1024) });
      return insertOrphan(storeOf(ds));
    });
    ageAllChunks(t.path, 2 * 86400);

    const run = await coffer(["gc", t.name]).done;
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    const upid = track(lines[0]!);
    expect(upid).toMatch(new RegExp(`^UPID:[^:]+:[0-9A-F]{8}:[0-9A-F]{8}:[0-9A-F]{8}:[0-9A-F]{8}:garbage_collection:${t.name}:root@pam:$`));
    expect(lines).toEqual(
      expect.arrayContaining([
        "Access time update check successful, proceeding with GC.",
        "Start GC phase1 (mark used chunks)",
        "Start GC phase2 (sweep unused chunks)",
        "Removed chunks: 1",
        "TASK OK",
      ]),
    );
    expect(existsSync(chunkFile(t.path, orphan))).toBe(false);

    const json = await coffer(["gc", "status", t.name, "--output-format", "json"]).done;
    expect(json.code).toBe(0);
    // The referenced chunk and the atime check's zero chunk are in use.
    expect(JSON.parse(json.stdout)).toMatchObject({ upid, "index-file-count": 1, "removed-chunks": 1, "disk-chunks": 2 });
    const text = await coffer(["gc", "status", t.name]).done;
    expect(text.stdout).toContain(`last run: ${upid} (OK)\n`);
    expect(text.stdout).toContain("removed garbage: 1.012 KiB in 1 chunks\n");
  });

  it("refuses an unknown datastore without starting a task", async () => {
    const run = await coffer(["gc", "nosuchstore"]).done;
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe("coffer: no such datastore 'nosuchstore'\n");
  });

  it("is a write operation: read-only maintenance makes the task fail", async () => {
    await setMaintenanceMode(t.name, { type: "read-only", message: "disk swap" });
    const run = await coffer(["gc", t.name]).done;
    track(run.stdout.split("\n")[0]!);
    expect(run.code).toBe(1);
    expect(run.stdout.trimEnd().split("\n").at(-1)).toBe(
      `TASK ERROR: datastore '${t.name}' is unavailable: read-only maintenance mode: disk swap`,
    );
  });
});
