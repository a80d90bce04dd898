import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { useTempStore, withWrite, writeSnapshot, type TempStore } from "../../datastore/test-support/temp-store";
import { coffer, track } from "../../tasks/test-support/env";

let t: TempStore;
beforeEach(async () => {
  t = await useTempStore();
});
afterEach(async () => {
  await t.cleanup();
});

describe("coffer job", () => {
  it("creates, lists, runs and removes a prune job with PBS's option names", async () => {
    await withWrite(t.name, async (ds) => {
      for (const time of [1_700_000_000, 1_700_086_400, 1_700_172_800]) await writeSnapshot(ds, "", "vm/100", time, { image: Buffer.alloc(1024, 7) });
    });
    const created = await coffer(["job", "create", "prune", "tidy", "--store", t.name, "--schedule", "mon..fri 22:00", "--keep-last", "1"]).done;
    expect(created.stderr).toBe("");
    expect(created.stdout).toMatch(/^created prune job 'tidy', next run \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$/);

    const listed = JSON.parse((await coffer(["job", "list", t.name, "--output-format", "json"]).done).stdout) as Record<string, unknown>[];
    expect(listed).toEqual([expect.objectContaining({ type: "prune", id: "tidy", store: t.name, schedule: "mon..fri 22:00", "keep-last": 1 })]);

    const run = await coffer(["job", "run", "prune", "tidy"]).done;
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(track(lines[0]!)).toContain(`:prunejob:${t.name}\\x3atidy:root@pam:`);
    expect(lines).toEqual(expect.arrayContaining(["prune job 'tidy'", "vm/100/2023-11-14T22:13:20Z remove", "TASK OK"]));
    const after = JSON.parse((await coffer(["job", "list", "--output-format", "json"]).done).stdout) as Record<string, unknown>[];
    expect(after[0]).toMatchObject({ "last-run-state": "OK", "last-run-upid": lines[0] });

    expect((await coffer(["job", "remove", "prune", "tidy"]).done).stdout).toBe("removed prune job 'tidy'\n");
    expect((await coffer(["job", "list"]).done).stdout).toBe("(no jobs)\n");
  }, 60_000);

  it("refuses bad input with what was wrong and changes nothing", async () => {
    const bad = await coffer(["job", "create", "verify", "chk", "--store", t.name, "--schedule", "mon..fry"]).done;
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("invalid calendar event 'mon..fry' at position 6 ('fry'): expected a weekday");
    const gc = await coffer(["job", "create", "gc", t.name, "--schedule", "daily", "--keep-last", "3"]).done;
    expect(gc.stderr).toContain("a gc job has only a schedule; --keep-last belong to prune and verify jobs");
    const type = await coffer(["job", "remove", "sync", "x1y"]).done;
    expect(type.stderr).toContain("unknown job type 'sync': use gc, prune or verify");
    expect((await coffer(["job", "list"]).done).stdout).toBe("(no jobs)\n");
  }, 60_000);

  it("removes a datastore's jobs with the datastore", async () => {
    expect((await coffer(["datastore", "create", "jobs-gone"]).done).code).toBe(0);
    await coffer(["job", "create", "verify", "chk", "--store", "jobs-gone", "--schedule", "daily"]).done;
    await coffer(["job", "create", "gc", "jobs-gone", "--schedule", "daily"]).done;
    await coffer(["job", "create", "verify", "stays", "--store", t.name, "--schedule", "daily"]).done;
    expect(JSON.parse((await coffer(["job", "list", "--output-format", "json"]).done).stdout)).toHaveLength(3);
    expect((await coffer(["datastore", "remove", "jobs-gone", "--destroy-data"]).done).code).toBe(0);
    const left = JSON.parse((await coffer(["job", "list", "--output-format", "json"]).done).stdout) as { id: string }[];
    expect(left.map((j) => j.id)).toEqual(["stays"]);
  }, 60_000);
});
