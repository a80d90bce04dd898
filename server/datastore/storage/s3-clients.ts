/** The S3 client of a configured S3 datastore. */
import { S3ObjectClient } from "./s3-client";
import type { DatastoreConfig } from "../../config/datastore-config";
import { getS3Credentials, getS3Endpoint, parseBackend } from "../../config/s3-config";

/** Clients per endpoint, bucket and key, for the life of the process (their connection pools are worth keeping). */
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

