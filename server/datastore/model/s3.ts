/**
 * The settings of an S3 datastore as users give them (CLI flags, the console's form, the API),
 * checked by the same rules everywhere. Pure: the form imports it. Credentials are not among
 * them: they come from the environment or an owner-only file (docs/s3.md).
 */
import { badRequest } from "./errors";
import { printable } from "./names";

/** S3 bucket names: 3-63 characters, lowercase letters, digits, dots and hyphens. */
export const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const ENDPOINT_RE = /^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/;
const REGION_RE = /^[a-z0-9-]{1,64}$/;
export const DEFAULT_S3_REGION = "us-east-1";

export function checkS3Endpoint(url: string): string {
  if (!ENDPOINT_RE.test(url)) throw badRequest(`invalid S3 endpoint '${printable(url)}': expected http://host[:port] or https://host[:port]`);
  return url;
}

export function checkBucketName(bucket: string): string {
  if (!BUCKET_RE.test(bucket)) {
    throw badRequest(`invalid bucket name '${printable(bucket)}': 3 to 63 lowercase letters, digits, '.' or '-', starting and ending with a letter or digit`);
  }
  return bucket;
}

export function checkS3Region(region: string): string {
  if (!REGION_RE.test(region)) throw badRequest(`invalid region '${printable(region)}': 1 to 64 lowercase letters, digits and '-'`);
  return region;
}
