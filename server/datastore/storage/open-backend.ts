/**
 * The content backend of a configured datastore: the local file system, or S3 with the
 * datastore directory as its cache when the config has a `backend type=s3,...` (PBS 4.2).
 * S3 clients are kept per endpoint and bucket for the life of the process (their connection
 * pools are worth keeping; each handle would otherwise open its own).
 */
import type { DatastoreBackend } from "./backend";
import { LocalChunkStore } from "./chunk-store";
import { LocalBackend } from "./local-backend";
import { S3Backend } from "./s3-backend";
import { S3ChunkStore } from "./s3-chunk-store";
import { S3ObjectClient } from "./s3-client";
import { S3Keys } from "./s3-keys";
import type { DatastoreConfig } from "../../config/datastore-config";
import { getS3Credentials, getS3Endpoint, parseBackend } from "../../config/s3-config";

export interface OpenedBackend {
  backend: DatastoreBackend;
  /** Verify's rename of a corrupt chunk to `<digest>.<n>.bad`. */
  markBad(digest: Uint8Array): Promise<string>;
}

const clients = new Map<string, S3ObjectClient>();

export async function s3ClientFor(config: DatastoreConfig): Promise<S3ObjectClient | undefined> {
  const spec = parseBackend(config.backend);
  if (!spec) return undefined;
  const endpoint = await getS3Endpoint(spec.client);
  const creds = getS3Credentials(spec.client);
  const id = JSON.stringify([endpoint, spec.bucket, creds.accessKeyId]);
  let client = clients.get(id);
  if (!client) {
    client = new S3ObjectClient(
      { endpoint: endpoint.endpoint, region: endpoint.region, pathStyle: endpoint["path-style"] ?? false, ...creds },
      spec.bucket,
    );
    clients.set(id, client);
  }
  return client;
}

export async function openBackend(config: DatastoreConfig): Promise<OpenedBackend> {
  const cache = await LocalChunkStore.open(config.path, { name: config.name });
  const client = await s3ClientFor(config);
  if (!client) return { backend: new LocalBackend(config.path, cache), markBad: (d) => cache.markBad(d) };
  const chunks = new S3ChunkStore(cache, client, new S3Keys(config.name));
  return { backend: new S3Backend(config.path, chunks, client, chunks.keys), markBad: (d) => chunks.markBad(d) };
}
