/**
 * The object-store client of the S3 backend: the AWS SDK v3 S3 client, set up for S3-compatible
 * servers that are not AWS (OpenStack Swift's s3api is the one the tests run against, see
 * scripts/swift.mjs and docs/s3.md):
 * - checksums only when an operation requires one (`WHEN_REQUIRED`): the SDK's default sends
 *   stream bodies as aws-chunked with a trailing CRC, which Swift refuses (501);
 * - Content-MD5 on every PutObject (the server checks what it stored against what we sent)
 *   and on DeleteObjects, where Swift requires it and the SDK now sends a CRC32 instead;
 * - no conditional PUT (Swift answers 501): callers get create-if-absent from local state;
 * - retries with exponential backoff and jitter (the SDK's standard strategy) on throttling,
 *   5xx and connection errors.
 * Every request is counted (`requests`), for the benchmarks' requests-per-GiB figure.
 *
 * The SDK (about half of the CLI bundle's size, and kept out of it: scripts/cli-bundle.mjs) is
 * loaded on a client's first request, so commands and tasks on local datastores never load it.
 */
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import type { S3Client } from "@aws-sdk/client-s3";
import { CofferError, errorMessage } from "../model/errors";

export interface S3Endpoint {
  /** `http(s)://host[:port]`. */
  endpoint: string;
  region: string;
  /** Path-style requests (`endpoint/bucket/key`) instead of virtual hosts (`bucket.endpoint/key`). */
  pathStyle: boolean;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date | undefined;
}

/** Attempts per request, the first included (SDK standard retry: backoff with full jitter). */
const MAX_ATTEMPTS = 5;
/** DeleteObjects takes at most 1000 keys (S3's and Swift's max_multi_delete_objects). */
const DELETE_BATCH = 1000;

// The SDK warns on stderr, once per process, that releases after January 2027 need Node 22: it
// would end up in every CLI command's and task's output. docs/s3.md says it; an operator can
// still turn it on by setting the variable to anything else.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const md5 = (data: Uint8Array | string) => createHash("md5").update(data).digest("base64");

type Sdk = typeof import("@aws-sdk/client-s3");
/** Set once loaded: an error can only come from the SDK after it was. */
let sdk: Sdk | undefined;

function loadSdk(): Sdk {
  // A computed require, so that neither the CLI bundle nor Next's server build bundles the SDK
  // (they leave computed requires alone), and a plain require because the CLI bundle runs in a
  // vm.Script, where import() is not available.
  sdk ??= createRequire(import.meta.url)(/* turbopackIgnore: true */ /* webpackIgnore: true */ ["@aws-sdk", "client-s3"].join("/")) as Sdk;
  return sdk;
}

function isServiceError(err: unknown): err is InstanceType<Sdk["S3ServiceException"]> {
  return sdk !== undefined && err instanceof sdk.S3ServiceException;
}

function isNotFound(err: unknown): boolean {
  if (isServiceError(err)) {
    return err.name === "NoSuchKey" || err.name === "NotFound" || err.$metadata?.httpStatusCode === 404;
  }
  return false;
}

export class S3ObjectClient {
  /** Requests sent (retries included), for benchmarks. */
  requests = 0;
  private made: S3Client | undefined;
  private destroyed = false;

  constructor(
    readonly endpoint: S3Endpoint,
    readonly bucket: string,
  ) {}

  /** Runs one SDK call with the client, which is made (and the SDK loaded) on the first call. */
  private async call<T>(run: (client: S3Client, sdk: Sdk) => Promise<T>): Promise<T> {
    if (!this.made) {
      this.made = this.makeClient(loadSdk());
      if (this.destroyed) this.made.destroy();
    }
    return run(this.made, sdk!);
  }

  private makeClient(sdk: Sdk): S3Client {
    const endpoint = this.endpoint;
    const client = new sdk.S3Client({
      endpoint: endpoint.endpoint,
      region: endpoint.region,
      forcePathStyle: endpoint.pathStyle,
      credentials: { accessKeyId: endpoint.accessKeyId, secretAccessKey: endpoint.secretAccessKey },
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      maxAttempts: MAX_ATTEMPTS,
      retryMode: "standard",
    });
    client.middlewareStack.add(
      (next, context) => async (args) => {
        // Swift requires Content-MD5 on DeleteObjects; the SDK's required checksum is a CRC32.
        if (context.commandName === "DeleteObjectsCommand") {
          const req = args.request as { headers: Record<string, string>; body?: unknown };
          if (typeof req.body === "string" || req.body instanceof Uint8Array) req.headers["content-md5"] = md5(req.body);
        }
        return next(args);
      },
      // Before signing, so that the header is signed with the rest.
      { step: "build", name: "cofferContentMd5", priority: "low" },
    );
    client.middlewareStack.add(
      (next) => async (args) => {
        this.requests++;
        return next(args);
      },
      { step: "finalizeRequest", name: "cofferRequestCount", priority: "low" },
    );
    return client;
  }

  private fail(what: string, err: unknown): CofferError {
    const status = isServiceError(err) ? ` (HTTP ${err.$metadata?.httpStatusCode ?? "?"})` : "";
    return new CofferError("INTERNAL", `${what} on bucket '${this.bucket}' at ${this.endpoint.endpoint} failed${status} - ${errorMessage(err)}`, {
      cause: err,
    });
  }

  async headBucket(): Promise<boolean> {
    try {
      await this.call((c, s) => c.send(new s.HeadBucketCommand({ Bucket: this.bucket })));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw this.fail("failed to reach bucket: HeadBucket", err);
    }
  }

  async createBucket(): Promise<void> {
    try {
      await this.call((c, s) => c.send(new s.CreateBucketCommand({ Bucket: this.bucket })));
    } catch (err) {
      const name = isServiceError(err) ? err.name : "";
      if (name === "BucketAlreadyOwnedByYou") return;
      throw this.fail("CreateBucket", err);
    }
  }

  /** Uploads with replace semantics; the server checks the bytes against Content-MD5. */
  async put(key: string, data: Uint8Array | string): Promise<void> {
    // A Buffer, so that the SDK knows the length (a string of length 0 looks like a stream to it).
    const body = typeof data === "string" ? Buffer.from(data) : data;
    try {
      await this.call((c, s) =>
        c.send(new s.PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentMD5: md5(body), ContentLength: body.length })),
      );
    } catch (err) {
      throw this.fail(`uploading object '${key}'`, err);
    }
  }

  /** The object's bytes, or undefined when it does not exist. */
  async get(key: string): Promise<Buffer | undefined> {
    try {
      const res = await this.call((c, s) => c.send(new s.GetObjectCommand({ Bucket: this.bucket, Key: key })));
      const bytes = Buffer.from(await res.Body!.transformToByteArray());
      if (res.ContentLength !== undefined && res.ContentLength !== bytes.length) {
        throw new CofferError("INTERNAL", `object '${key}' is ${bytes.length} bytes, expected ${res.ContentLength}`);
      }
      return bytes;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      if (err instanceof CofferError) throw err;
      throw this.fail(`downloading object '${key}'`, err);
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const res = await this.call((c, s) => c.send(new s.HeadObjectCommand({ Bucket: this.bucket, Key: key })));
      return { key, size: res.ContentLength ?? 0, lastModified: res.LastModified };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw this.fail(`HeadObject '${key}'`, err);
    }
  }

  /** Every object under `prefix`, in key order, one page (up to 1000 keys) per request. */
  async *list(prefix: string, pageSize?: number): AsyncGenerator<ObjectInfo[]> {
    let token: string | undefined;
    do {
      let res;
      try {
        res = await this.call((c, s) => c.send(new s.ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token, MaxKeys: pageSize })));
      } catch (err) {
        throw this.fail(`listing objects under '${prefix}'`, err);
      }
      yield (res.Contents ?? []).map((o) => ({ key: o.Key!, size: o.Size ?? 0, lastModified: o.LastModified }));
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
  }

  async listAll(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    for await (const page of this.list(prefix)) out.push(...page);
    return out;
  }

  /** Server-side copy (no bytes through us). */
  async copy(fromKey: string, toKey: string): Promise<void> {
    try {
      const source = `${this.bucket}/${fromKey.split("/").map(encodeURIComponent).join("/")}`;
      await this.call((c, s) => c.send(new s.CopyObjectCommand({ Bucket: this.bucket, Key: toKey, CopySource: source })));
    } catch (err) {
      throw this.fail(`failed to copy S3 object '${fromKey}' to '${toKey}'`, err);
    }
  }

  /** Deleting a missing object succeeds (S3 semantics). */
  async delete(key: string): Promise<void> {
    try {
      await this.call((c, s) => c.send(new s.DeleteObjectCommand({ Bucket: this.bucket, Key: key })));
    } catch (err) {
      if (isNotFound(err)) return;
      throw this.fail(`deleting object '${key}'`, err);
    }
  }

  /** Deletes keys in batches of 1000; any per-key error fails the call, naming the key. */
  async deleteMany(keys: readonly string[], batchSize = DELETE_BATCH): Promise<void> {
    for (let i = 0; i < keys.length; i += batchSize) {
      const batch = keys.slice(i, i + batchSize);
      let res;
      try {
        res = await this.call((c, s) =>
          c.send(new s.DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } })),
        );
      } catch (err) {
        throw this.fail(`deleting ${batch.length} objects`, err);
      }
      const failed = (res.Errors ?? []).filter((e) => e.Code !== "NoSuchKey");
      if (failed.length > 0) {
        throw new CofferError("INTERNAL", `deleting object '${failed[0]!.Key}' on bucket '${this.bucket}' failed - ${failed[0]!.Code}: ${failed[0]!.Message}`);
      }
    }
  }

  /** Deletes every object under `prefix`; returns how many. */
  async deletePrefix(prefix: string, opts: { pageSize?: number; batchSize?: number } = {}): Promise<number> {
    const keys: string[] = [];
    for await (const page of this.list(prefix, opts.pageSize)) keys.push(...page.map((o) => o.key));
    await this.deleteMany(keys, opts.batchSize);
    return keys.length;
  }

  /** Closes the connection pool. */
  destroy(): void {
    this.destroyed = true;
    this.made?.destroy();
  }
}
