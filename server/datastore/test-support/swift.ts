/**
 * The OpenStack Swift the S3 tests run against. `npm test` starts one before the unit tests and
 * passes its endpoint in COFFER_TEST_S3_ENDPOINT; a test file run alone starts its own (a few
 * seconds) and stops it after. If Swift cannot start, the test fails with the reason: nothing
 * is skipped.
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import { createDatastore } from "../lifecycle";
import { useTempHome } from "./lock-env";
import { startSwift, SWIFT_CREDENTIALS, SWIFT_REGION } from "../../../scripts/swift.mjs";
import { S3ObjectClient, type S3Endpoint } from "../storage/s3-client";

export interface TestSwift {
  endpoint: S3Endpoint;
  /** A fresh bucket, created. */
  newBucket(): Promise<{ bucket: string; client: S3ObjectClient }>;
  stop(): Promise<void>;
  /** Only on a Swift of our own (`useSwift({ own: true })`). */
  stopProxy?(): Promise<void>;
  startProxy?(): Promise<void>;
}

/**
 * `own`: a Swift of this test file's own even under `npm test`, for tests that stop the object
 * store (they would break the other files' tests on a shared one).
 */
export async function useSwift(opts: { own?: boolean } = {}): Promise<TestSwift> {
  let url = opts.own ? undefined : process.env.COFFER_TEST_S3_ENDPOINT;
  let own: Awaited<ReturnType<typeof startSwift>> | undefined;
  if (!url) {
    const started = await startSwift();
    own = started;
    url = started.endpoint;
  }
  const endpoint: S3Endpoint = {
    endpoint: url,
    region: SWIFT_REGION,
    pathStyle: true,
    ...SWIFT_CREDENTIALS,
  };
  return {
    endpoint,
    async newBucket() {
      const bucket = `coffer-test-${randomBytes(6).toString("hex")}`;
      const client = new S3ObjectClient(endpoint, bucket);
      await client.createBucket();
      return { bucket, client };
    },
    async stop() {
      await own?.stop();
    },
    stopProxy: own?.stopProxy,
    startProxy: own?.startProxy,
  };
}

/**
 * A temporary COFFER_HOME with one S3 datastore on `swift` in a fresh bucket, made the way users
 * make one (createDatastore with s3 options); credentials through the environment.
 */
export async function useTempS3Store(swift: TestSwift, name = "s3store") {
  const h = await useTempHome();
  const { bucket, client } = await swift.newBucket();
  const saved = { key: process.env.COFFER_S3_ACCESS_KEY, secret: process.env.COFFER_S3_SECRET_KEY };
  process.env.COFFER_S3_ACCESS_KEY = swift.endpoint.accessKeyId;
  process.env.COFFER_S3_SECRET_KEY = swift.endpoint.secretAccessKey;
  const dir = path.join(h.home, "cache", name);
  await createDatastore(name, { path: dir, s3: { endpoint: swift.endpoint.endpoint, bucket, pathStyle: true } });
  return {
    ...h,
    name,
    path: dir,
    bucket,
    client,
    /** Keys under the store's prefix, without it. */
    async keys(prefix = ""): Promise<string[]> {
      return (await client.listAll(`${name}/${prefix}`)).map((o) => o.key.slice(name.length + 1));
    },
    async cleanup() {
      await client.deletePrefix("").catch(() => undefined);
      client.destroy();
      if (saved.key === undefined) delete process.env.COFFER_S3_ACCESS_KEY;
      else process.env.COFFER_S3_ACCESS_KEY = saved.key;
      if (saved.secret === undefined) delete process.env.COFFER_S3_SECRET_KEY;
      else process.env.COFFER_S3_SECRET_KEY = saved.secret;
      await h.cleanup();
    },
  };
}
export type TempS3Store = Awaited<ReturnType<typeof useTempS3Store>>;
