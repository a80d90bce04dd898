/**
 * The OpenStack Swift the S3 tests run against. `npm test` starts one before the unit tests and
 * passes its endpoint in COFFER_TEST_S3_ENDPOINT; a test file run alone starts its own (a few
 * seconds) and stops it after. If Swift cannot start, the test fails with the reason: nothing
 * is skipped.
 */
import { randomBytes } from "node:crypto";
import { startSwift, SWIFT_CREDENTIALS, SWIFT_REGION } from "../../../scripts/swift.mjs";
import { S3ObjectClient, type S3Endpoint } from "../storage/s3-client";

export interface TestSwift {
  endpoint: S3Endpoint;
  /** A fresh bucket, created. */
  newBucket(): Promise<{ bucket: string; client: S3ObjectClient }>;
  stop(): Promise<void>;
}

export async function useSwift(): Promise<TestSwift> {
  let url = process.env.COFFER_TEST_S3_ENDPOINT;
  let own: { stop(): Promise<void> } | undefined;
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
  };
}
