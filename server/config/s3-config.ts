/**
 * S3 endpoints (PBS 4.2 s3.cfg) and the datastore's backend property string (datastore.cfg
 * `backend type=s3,client=<id>,bucket=<name>`), as JSON like the rest of Coffer's config:
 * - `etc/s3.json`: `{ "endpoints": [{ "id", "endpoint", "region", "path-style" }] }`;
 * - credentials: `etc/s3-credentials.json`, `{ "<id>": { "access-key", "secret-key" } }`, which
 *   must be readable by its owner only (refused otherwise), or the environment
 *   (COFFER_S3_ACCESS_KEY and COFFER_S3_SECRET_KEY, which win). Never on a command line, in
 *   datastore.json or in a log.
 */
import { promises as fs, readFileSync, statSync } from "node:fs";
import { z } from "zod";
import { paths } from "./paths";
import { CofferError, isErrno } from "../datastore/model/errors";
import { writeFileAtomic } from "../platform/atomic-file";
import { lockNamed } from "../platform/file-lock";
import { SAFE_ID_REGEX } from "../datastore/model/names";
import { checkBucketName, checkS3Endpoint } from "../datastore/model/s3";
import path from "node:path";

const endpointSchema = z.object({
  id: z.string().regex(SAFE_ID_REGEX).min(3).max(32),
  endpoint: z.string().regex(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/),
  region: z.string().min(1).max(64),
  "path-style": z.boolean().optional(),
});
const s3ConfigSchema = z.object({ endpoints: z.array(endpointSchema) });
const credentialsSchema = z.record(z.string(), z.object({ "access-key": z.string().min(1), "secret-key": z.string().min(1) }));

export type S3EndpointConfig = z.infer<typeof endpointSchema>;
export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}
export interface S3BackendSpec {
  type: "s3";
  client: string;
  bucket: string;
}

export function checkS3Url(url: string): void {
  checkS3Endpoint(url);
}

export function checkBucket(bucket: string): void {
  checkBucketName(bucket);
}

export function formatBackend(spec: S3BackendSpec): string {
  return `type=s3,client=${spec.client},bucket=${spec.bucket}`;
}

/** Parses `type=s3,client=<id>,bucket=<name>`; undefined for a local datastore. */
export function parseBackend(value: string | undefined): S3BackendSpec | undefined {
  if (value === undefined || value === "" || value === "type=filesystem") return undefined;
  const props = new Map<string, string>();
  for (const part of value.split(",")) {
    const eq = part.indexOf("=");
    if (eq < 0) throw new CofferError("INTERNAL", `invalid datastore backend '${value}': '${part}' is not key=value`);
    props.set(part.slice(0, eq), part.slice(eq + 1));
  }
  const type = props.get("type");
  const client = props.get("client");
  const bucket = props.get("bucket");
  if (type !== "s3" || !client || !bucket) {
    throw new CofferError("INTERNAL", `invalid datastore backend '${value}': expected type=s3,client=<id>,bucket=<name>`);
  }
  return { type, client, bucket };
}

async function readS3Config(): Promise<S3EndpointConfig[]> {
  let text: string;
  try {
    text = await fs.readFile(paths.s3Config(), "utf8");
  } catch (err) {
    if (isErrno(err, "ENOENT")) return [];
    throw err;
  }
  const parsed = s3ConfigSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new CofferError("INTERNAL", `invalid S3 config ${JSON.stringify(paths.s3Config())} - ${parsed.error.message}`);
  return parsed.data.endpoints;
}

export async function getS3Endpoint(id: string): Promise<S3EndpointConfig> {
  const found = (await readS3Config()).find((e) => e.id === id);
  if (!found) throw new CofferError("NOT_FOUND", `no such S3 endpoint '${id}' in ${JSON.stringify(paths.s3Config())}`);
  return found;
}

/** Adds or replaces an endpoint entry (under the config lock, atomically). */
export async function putS3Endpoint(entry: S3EndpointConfig): Promise<void> {
  checkS3Url(entry.endpoint);
  const parsed = endpointSchema.parse(entry);
  await fs.mkdir(paths.etc(), { recursive: true, mode: 0o700 });
  const guard = await lockNamed(path.join(paths.globalLocks(), "s3.cfg"));
  try {
    const list = (await readS3Config()).filter((e) => e.id !== entry.id);
    list.push(parsed);
    list.sort((a, b) => (a.id < b.id ? -1 : 1));
    await writeFileAtomic(paths.s3Config(), `${JSON.stringify({ endpoints: list }, null, 2)}\n`, 0o640);
  } finally {
    await guard.release();
  }
}

export async function removeS3Endpoint(id: string): Promise<void> {
  const guard = await lockNamed(path.join(paths.globalLocks(), "s3.cfg"));
  try {
    const list = (await readS3Config()).filter((e) => e.id !== id);
    await writeFileAtomic(paths.s3Config(), `${JSON.stringify({ endpoints: list }, null, 2)}\n`, 0o640);
  } finally {
    await guard.release();
  }
}

/**
 * The credentials of endpoint `id`: the environment first, then the owner-only file. The error
 * says where they are looked for, never what they are.
 */
export function getS3Credentials(id: string): S3Credentials {
  const envKey = process.env.COFFER_S3_ACCESS_KEY;
  const envSecret = process.env.COFFER_S3_SECRET_KEY;
  if (envKey && envSecret) return { accessKeyId: envKey, secretAccessKey: envSecret };
  const file = paths.s3Credentials();
  const st = statSync(file, { throwIfNoEntry: false });
  const missing = () =>
    new CofferError(
      "BAD_REQUEST",
      `no credentials for S3 endpoint '${id}': set COFFER_S3_ACCESS_KEY and COFFER_S3_SECRET_KEY, or add {"${id}" (or "default"): {"access-key": ..., "secret-key": ...}} to ${JSON.stringify(file)} (mode 0600)`,
    );
  if (!st) throw missing();
  if ((st.mode & 0o077) !== 0 || (typeof process.getuid === "function" && st.uid !== process.getuid())) {
    throw new CofferError(
      "BAD_REQUEST",
      `refusing S3 credentials file ${JSON.stringify(file)}: it must be owned by this user and readable by its owner only (chmod 600; it is ${(st.mode & 0o777).toString(8)})`,
    );
  }
  let parsed;
  try {
    parsed = credentialsSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
  } catch {
    parsed = undefined;
  }
  if (!parsed?.success) throw new CofferError("INTERNAL", `invalid S3 credentials file ${JSON.stringify(file)}: expected {"<endpoint id>": {"access-key": ..., "secret-key": ...}}`);
  // One entry per endpoint id (an S3 datastore's id is its name), or one for all: "default".
  const entry = parsed.data[id] ?? parsed.data.default;
  if (!entry) throw missing();
  return { accessKeyId: entry["access-key"], secretAccessKey: entry["secret-key"] };
}

/** Writes the credentials of endpoint `id` into the owner-only file (created 0600). */
export async function putS3Credentials(id: string, creds: S3Credentials): Promise<void> {
  await fs.mkdir(paths.etc(), { recursive: true, mode: 0o700 });
  const guard = await lockNamed(path.join(paths.globalLocks(), "s3-credentials"));
  try {
    let current: Record<string, { "access-key": string; "secret-key": string }> = {};
    try {
      const parsed = credentialsSchema.safeParse(JSON.parse(await fs.readFile(paths.s3Credentials(), "utf8")));
      if (parsed.success) current = parsed.data;
    } catch (err) {
      if (!isErrno(err, "ENOENT")) throw err;
    }
    current[id] = { "access-key": creds.accessKeyId, "secret-key": creds.secretAccessKey };
    await writeFileAtomic(paths.s3Credentials(), `${JSON.stringify(current, null, 2)}\n`, 0o600);
  } finally {
    await guard.release();
  }
}
