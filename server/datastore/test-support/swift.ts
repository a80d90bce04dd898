/**
 * The OpenStack Swift the S3 tests run against. `npm test` starts one before the unit tests and
 * passes its endpoint in COFFER_TEST_S3_ENDPOINT; a test file run alone starts its own (a few
 * seconds) and stops it after. If Swift cannot start, the test fails with the reason: nothing
 * is skipped.
 */
import { randomBytes } from "node:crypto";
// @ts-expect-error plain ESM script without types
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
    own = await startSwift();
    url = (own as unknown as { endpoint: string }).endpoint;
  }
  const endpoint: S3Endpoint = {
    endpoint: url,
    region: SWIFT_REGION as string,
    pathStyle: true,
    accessKeyId: (SWIFT_CREDENTIALS as { accessKeyId: string }).accessKeyId,
    secretAccessKey: (SWIFT_CREDENTIALS as { secretAccessKey: string }).secretAccessKey,
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
