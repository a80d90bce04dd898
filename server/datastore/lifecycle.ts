/**
 * Creating, attaching and removing datastores: the config entry (server/config, the layer below
 * the engine) plus, for a new store, its chunk store (the engine's storage).
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { LocalChunkStore } from "./storage/chunk-store";
import {
  type DatastoreConfig,
  getDatastoreConfig,
  listDatastoreConfigs,
  setMaintenanceMode,
  updateDatastoreConfigs,
  withDatastoreLock,
} from "../config/datastore-config";
import { checkCompressionPair } from "./model/compression";
import { CofferError, isErrno } from "./model/errors";
import { checkDatastoreName, printable } from "./model/names";
import { checkS3Region } from "./model/s3";
import { paths } from "../config/paths";
import { checkBucket, checkS3Url, formatBackend, getS3Credentials, putS3Endpoint, removeS3Endpoint, type S3EndpointConfig } from "../config/s3-config";


/** An S3 datastore (PBS 4.2): chunks and content in a bucket, `path` is the local cache. */
export interface S3CreateOptions {
  endpoint: string;
  bucket: string;
  /** Default us-east-1. */
  region?: string;
  pathStyle?: boolean;
}

export interface CreateDatastoreOptions {
  /** Keep the datastore in an S3 bucket; `path` (required then) is its local cache. */
  s3?: S3CreateOptions;
  /** Where the datastore lives; default `COFFER_HOME/datastores/<name>`. Relative paths are made absolute. */
  path?: string;
  /** Attach an existing PBS-format datastore directory without changing its data. */
  reuse?: boolean;
  comment?: string;
  /** How backups store new chunks: "zstd" (default) or "none"; see DatastoreConfig. */
  compression?: string;
  /** zstd level 1..19 (with compression "zstd" only). */
  compressionLevel?: number;
  onProgress?: (percent: number) => void;
}

function checkComment(comment: string | undefined): void {
  if (comment !== undefined && (comment.length > 128 || /[\u0000-\u001f\u007f]/.test(comment))) {
    throw new CofferError("BAD_REQUEST", "invalid comment: at most 128 characters, no control characters");
  }
}

/**
 * Adds a datastore. A new one gets a chunk store in an empty or missing directory; with
 * `reuse`, the directory must already be a PBS-format datastore (it has `.chunks` with its
 * prefix directories) and nothing in it is changed. Every check runs before anything is created.
 */
export async function createDatastore(name: string, options: CreateDatastoreOptions = {}): Promise<DatastoreConfig> {
  checkDatastoreName(name);
  checkComment(options.comment);
  checkCompressionPair(options.compression, options.compressionLevel);
  if (options.s3) checkS3Options(options.s3, options.path);
  if (options.path !== undefined && (options.path === "" || options.path.includes("\0"))) {
    throw new CofferError("BAD_REQUEST", `invalid path '${printable(options.path)}'`);
  }
  const dir = path.resolve(/* turbopackIgnore: true */ options.path ?? paths.defaultDatastorePath(name));
  const existing = await listDatastoreConfigs();
  assertFree(existing, name, dir);

  if (options.reuse && !options.s3) {
    await assertPbsDatastore(dir);
  } else {
    await assertEmptyOrMissing(dir);
  }

  const entry: DatastoreConfig = { name, path: dir };
  if (options.comment) entry.comment = options.comment;
  if (options.compression !== undefined) entry.compression = options.compression as "zstd" | "none";
  if (options.compressionLevel !== undefined) entry["compression-level"] = options.compressionLevel;
  const s3 = options.s3 && (await prepareS3(name, options.s3, options.path, options.reuse ?? false));
  if (s3) entry.backend = s3.backend;
  let createdDir = false;
  if (!options.reuse || options.s3) {
    createdDir = (await fs.mkdir(dir, { recursive: true, mode: 0o755 })) !== undefined;
    try {
      await LocalChunkStore.create(dir, { onProgress: options.onProgress });
    } catch (err) {
      await fs.rm(path.join(dir, ".chunks"), { recursive: true, force: true });
      await fs.rm(path.join(dir, ".lock"), { force: true });
      if (createdDir) await fs.rm(dir, { recursive: true, force: true });
      throw err;
    }
  }
  try {
    if (s3) await putS3Endpoint(s3.endpoint);
    await updateDatastoreConfigs((list) => {
      assertFree(list, name, dir);
      return [...list, entry];
    });
  } catch (err) {
    if ((!options.reuse || options.s3) && createdDir) await fs.rm(dir, { recursive: true, force: true });
    throw err;
  }
  if (s3 && options.reuse) await (await import("./storage/s3-open")).refreshCache(entry);
  return entry;
}

/**
 * Checks an S3 datastore's settings and its bucket before anything is created: the endpoint
 * answers with these credentials, the bucket exists (it is created when missing), and the
 * store's prefix is empty unless `reuse` (then the cache is rebuilt from it after creation).
 * The endpoint entry gets the datastore's name as its id.
 */
function checkS3Options(o: S3CreateOptions, cache: string | undefined): void {
  checkS3Url(o.endpoint);
  checkBucket(o.bucket);
  const region = o.region ?? "us-east-1";
  checkS3Region(region);
  if (cache === undefined) throw new CofferError("BAD_REQUEST", "an S3 datastore needs --cache DIR: the local cache directory");
}

async function prepareS3(name: string, o: S3CreateOptions, cache: string | undefined, reuse: boolean) {
  checkS3Options(o, cache);
  const region = o.region ?? "us-east-1";
  const endpoint: S3EndpointConfig = { id: name, endpoint: o.endpoint, region, "path-style": o.pathStyle ?? false };
  const creds = getS3Credentials(name);
  const { S3ObjectClient } = await import("./storage/s3-open");
  const client = new S3ObjectClient({ endpoint: o.endpoint, region, pathStyle: o.pathStyle ?? false, ...creds }, o.bucket);
  try {
    if (!(await client.headBucket())) await client.createBucket();
    if (!reuse) {
      for await (const page of client.list(`${name}/`, 1)) {
        if (page.length > 0) {
          throw new CofferError(
            "CONFLICT",
            `bucket '${o.bucket}' already holds datastore '${name}' (objects under '${name}/'): use --reuse to attach it and rebuild the cache`,
          );
        }
        break;
      }
    }
  } finally {
    client.destroy();
  }
  return { endpoint, backend: formatBackend({ type: "s3", client: name, bucket: o.bucket }) };
}

function assertFree(list: DatastoreConfig[], name: string, dir: string): void {
  if (list.some((d) => d.name === name)) {
    throw new CofferError("CONFLICT", `datastore '${name}' already exists`);
  }
  for (const d of list) {
    if (isNested(d.path, dir)) {
      throw new CofferError(
        "CONFLICT",
        `path ${JSON.stringify(dir)} overlaps datastore '${d.name}' at ${JSON.stringify(d.path)}: datastores must not be nested`,
      );
    }
  }
}

function isNested(a: string, b: string): boolean {
  const rel1 = path.relative(a, b);
  const rel2 = path.relative(b, a);
  const inside = (r: string) => r === "" || (!r.startsWith("..") && !path.isAbsolute(r));
  return inside(rel1) || inside(rel2);
}

async function assertEmptyOrMissing(dir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await fs.readdir(dir);
  } catch (err) {
    if (isErrno(err, "ENOENT")) return;
    if (isErrno(err, "ENOTDIR")) throw new CofferError("BAD_REQUEST", `${JSON.stringify(dir)} is not a directory`);
    throw err;
  }
  if (entries.includes(".chunks")) {
    throw new CofferError(
      "CONFLICT",
      `${JSON.stringify(dir)} already holds a datastore: use --reuse to attach it without changing it`,
    );
  }
  if (entries.filter((e) => e !== "lost+found").length > 0) {
    throw new CofferError("CONFLICT", `directory ${JSON.stringify(dir)} is not empty`);
  }
}

/** A PBS datastore has `.chunks` with the 65536 prefix directories (checked by sampling). */
async function assertPbsDatastore(dir: string): Promise<void> {
  const st = await fs.stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) {
    throw new CofferError("NOT_FOUND", `cannot reuse ${JSON.stringify(dir)}: no such directory`);
  }
  for (const prefix of ["0000", "7fff", "ffff"]) {
    const sub = await fs.stat(path.join(dir, ".chunks", prefix)).catch(() => undefined);
    if (!sub?.isDirectory()) {
      throw new CofferError(
        "BAD_REQUEST",
        `cannot reuse ${JSON.stringify(dir)}: not a PBS-format datastore (missing .chunks/${prefix})`,
      );
    }
  }
}

/**
 * Forgets a datastore. Its data stays unless `destroyData`; then the directory is removed, but
 * only if it still looks like a datastore (so a mistyped config never deletes something else).
 */
export async function removeDatastore(name: string, options: { destroyData?: boolean } = {}): Promise<DatastoreConfig> {
  let removed: DatastoreConfig | undefined;
  await getDatastoreConfig(name); // NOT_FOUND before a lock is made for an unknown name
  // Under the per-datastore lock, as maintenance changes: no opening is half-way through.
  await withDatastoreLock(name, () =>
    updateDatastoreConfigs((list) => {
      removed = list.find((d) => d.name === name);
      if (!removed) throw new CofferError("NOT_FOUND", `no such datastore '${name}'`);
      return list.filter((d) => d.name !== name);
    }),
  );
  if (removed?.backend) {
    if (options.destroyData) {
      const client = await (await import("./storage/s3-open")).s3ClientFor(removed);
      await client?.deletePrefix(`${removed.name}/`);
    }
    await removeS3Endpoint(removed.name);
  }
  if (options.destroyData && removed) {
    const chunks = await fs.stat(path.join(removed.path, ".chunks")).catch(() => undefined);
    if (chunks?.isDirectory()) await fs.rm(removed.path, { recursive: true, force: true });
  }
  return removed!;
}
