/**
 * The content backend of a configured datastore: the local file system, or S3 with the
 * datastore directory as its cache when the config has a `backend type=s3,...` (PBS 4.2).
 * The S3 side is loaded only for an S3 datastore (s3-open.ts says why).
 */
import type { DatastoreBackend } from "./backend";
import { LocalChunkStore } from "./chunk-store";
import { LocalBackend } from "./local-backend";
import type { DatastoreConfig } from "../../config/datastore-config";
import { parseBackend } from "../../config/s3-config";

export interface OpenedBackend {
  backend: DatastoreBackend;
  /** Verify's rename of a corrupt chunk to `<digest>.<n>.bad`. */
  markBad(digest: Uint8Array): Promise<string>;
}

export async function openBackend(config: DatastoreConfig): Promise<OpenedBackend> {
  const cache = await LocalChunkStore.open(config.path, { name: config.name });
  if (!parseBackend(config.backend)) return { backend: new LocalBackend(config.path, cache), markBad: (d) => cache.markBad(d) };
  const s3 = await import("./s3-open");
  const client = (await s3.s3ClientFor(config))!;
  return s3.openS3Backend(config, cache, client);
}
