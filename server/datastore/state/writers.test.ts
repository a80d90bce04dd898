import { readFile } from "node:fs/promises";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { paths } from "../../config/paths";
import { selfStartTime } from "../../platform/process";
import { killChildren, sleep, startChild, useTempHome } from "../test-support/lock-env";
import { oldestWriterStart, registerWriter } from "./writers";

let cleanup: () => Promise<void>;
beforeEach(async () => {
  cleanup = (await useTempHome()).cleanup;
});
afterEach(async () => {
  await killChildren();
  await cleanup();
});

describe("backup writer registry", () => {
  it("has no oldest writer when none ever registered", async () => {
    expect(await oldestWriterStart("store1")).toBeUndefined();
  });

  it("reports the oldest live writer, and the next one once it unregisters", async () => {
    const before = Date.now();
    const first = await registerWriter("store1");
    expect(first.startedAt).toBeGreaterThanOrEqual(before);
    await sleep(5);
    const second = await registerWriter("store1");
    expect(second.startedAt).toBeGreaterThan(first.startedAt);
    expect(await oldestWriterStart("store1")).toBe(first.startedAt);
    expect(await oldestWriterStart("store2")).toBeUndefined(); // per datastore

    const entries = JSON.parse(await readFile(paths.writers("store1"), "utf8"));
    expect(entries).toMatchObject([
      { pid: process.pid, pstart: selfStartTime(), started: first.startedAt },
      { pid: process.pid, pstart: selfStartTime(), started: second.startedAt },
    ]);

    await first.unregister();
    await first.unregister(); // idempotent: must not remove the other writer
    expect(await oldestWriterStart("store1")).toBe(second.startedAt);
    await second.unregister();
    expect(await oldestWriterStart("store1")).toBeUndefined();
  });

  it("ignores a writer whose process was killed, and drops it at the next change", async () => {
    const child = startChild("hold-operation.ts", ["store1", "writer"]);
    const childStart = Number((await child.waitFor("registered")).split(" ")[1]);
    const mine = await registerWriter("store1");
    expect(await oldestWriterStart("store1")).toBe(childStart);

    await child.kill("SIGKILL");
    expect(await oldestWriterStart("store1")).toBe(mine.startedAt);
    await mine.unregister();
    expect(JSON.parse(await readFile(paths.writers("store1"), "utf8"))).toEqual([]);
  });
});
