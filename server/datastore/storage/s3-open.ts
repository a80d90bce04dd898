/**
 * Building the S3 backend of a configured datastore. Loaded on demand (open-backend.ts,
 * lifecycle.ts): the AWS SDK costs tens of milliseconds to load, which every CLI command and
 * task of a local datastore would otherwise pay.
 */
import type { LocalChunkStore } from "./chunk-store";
import { S3Backend } from "./s3-backend";
import { S3ChunkStore } from "./s3-chunk-store";
import { S3ObjectClient, type S3Endpoint } from "./s3-client";
import { S3Keys } from "./s3-keys";
import type { DatastoreConfig } from "../../config/datastore-config";

export { S3ObjectClient, type S3Endpoint };
export { refreshCache } from "./s3-refresh";
export { s3ClientFor } from "./s3-clients";

export function openS3Backend(config: DatastoreConfig, cache: LocalChunkStore, client: S3ObjectClient) {
  const chunks = new S3ChunkStore(cache, client, new S3Keys(config.name));
  return { backend: new S3Backend(config.path, chunks, client, chunks.keys), markBad: (d: Uint8Array) => chunks.markBad(d) };
}
