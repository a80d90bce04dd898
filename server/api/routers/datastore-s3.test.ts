/**
 * The console's side of S3 datastores through the API, against a real OpenStack Swift:
 * datastore.create with s3 settings, the backend in the list, and datastore.refresh starting
 * the s3-refresh task.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { caller, codeOf, useDemoHome } from "../test-support";
import { type TestSwift, useSwift } from "../../datastore/test-support/swift";
import { parseUpid } from "../../tasks";
import { isProcessAlive } from "../../platform/process";
import { taskStatus } from "../../tasks/core/task-status";
import { waitUntil } from "../../tasks/test-support/env";

useDemoHome();
let swift: TestSwift;
const saved = { key: process.env.COFFER_S3_ACCESS_KEY, secret: process.env.COFFER_S3_SECRET_KEY };

beforeAll(async () => {
  swift = await useSwift();
  process.env.COFFER_S3_ACCESS_KEY = swift.endpoint.accessKeyId;
  process.env.COFFER_S3_SECRET_KEY = swift.endpoint.secretAccessKey;
}, 120_000);
afterAll(async () => {
  if (saved.key === undefined) delete process.env.COFFER_S3_ACCESS_KEY;
  else process.env.COFFER_S3_ACCESS_KEY = saved.key;
  if (saved.secret === undefined) delete process.env.COFFER_S3_SECRET_KEY;
  else process.env.COFFER_S3_SECRET_KEY = saved.secret;
  await swift?.stop();
});

describe("S3 datastores through the API", () => {
  it("creates one, lists its backend, and refreshes its cache as an s3-refresh task", async () => {
    const { bucket, client } = await swift.newBucket();
    const cache = path.join(mkdtempSync(path.join(existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir(), "coffer-ds-")), "cache");
    try {
      const made = await caller().datastore.create({ name: "s3api", path: cache, s3: { endpoint: swift.endpoint.endpoint, bucket, pathStyle: true } });
      expect(made).toMatchObject({ name: "s3api", path: cache, backend: { type: "s3", bucket } });
      expect((await caller().datastore.list()).find((d) => d.name === "s3api")?.backend).toEqual({ type: "s3", bucket });
      expect((await caller().datastore.list()).find((d) => d.name === "demo")?.backend).toEqual({ type: "filesystem" });

      const { upid } = await caller().datastore.refresh({ store: "s3api" });
      const { pid, pstart } = parseUpid(upid);
      await waitUntil(() => !isProcessAlive(pid, pstart), 60_000, "the refresh task to end");
      expect((await taskStatus(upid)).exitstatus).toBe("OK");
      expect((await caller().datastore.get({ store: "s3api" }))["maintenance-mode"]).toBeUndefined();

      expect(await codeOf(caller().datastore.refresh({ store: "demo" }))).toBe("BAD_REQUEST");
      expect(await codeOf(caller().datastore.create({ name: "s3nocache", s3: { endpoint: swift.endpoint.endpoint, bucket } }))).toBe("BAD_REQUEST");
      expect(await codeOf(caller().datastore.create({ name: "s3again", path: `${cache}2`, s3: { endpoint: swift.endpoint.endpoint, bucket: "Not_A_Bucket" } }))).toBe(
        "BAD_REQUEST",
      );
    } finally {
      await caller().datastore.remove({ store: "s3api", destroyData: true }).catch(() => undefined);
      await client.deletePrefix("").catch(() => undefined);
      client.destroy();
      rmSync(path.dirname(cache), { recursive: true, force: true });
    }
  }, 180_000);
});
