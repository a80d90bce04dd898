import { describe, expect, it } from "vitest";
import { datastoreCreateSchema } from "./datastore-create";
import { checkBucketName, checkS3Endpoint, checkS3Region } from "./s3";

describe("S3 datastore settings", () => {
  it("accepts endpoints, buckets and regions S3 allows and says what is allowed otherwise", () => {
    expect(checkS3Endpoint("http://127.0.0.1:8080")).toBe("http://127.0.0.1:8080");
    expect(checkS3Endpoint("https://s3.example.net")).toBe("https://s3.example.net");
    expect(() => checkS3Endpoint("s3.example.net")).toThrow("expected http://host[:port] or https://host[:port]");
    expect(() => checkS3Endpoint("https://user:pw@host/x?y")).toThrow("invalid S3 endpoint");
    expect(checkBucketName("my-backups.2")).toBe("my-backups.2");
    for (const bad of ["ab", "Upper", "-start", "end-", "a_b", "x".repeat(64)]) {
      expect(() => checkBucketName(bad)).toThrow("3 to 63 lowercase letters, digits, '.' or '-'");
    }
    expect(checkS3Region("eu-central-1")).toBe("eu-central-1");
    expect(() => checkS3Region("EU")).toThrow("invalid region 'EU'");
  });

  it("the create form's schema needs a cache path for an S3 datastore", () => {
    const s3 = { endpoint: "http://127.0.0.1:8080", bucket: "bucket1" };
    expect(datastoreCreateSchema.safeParse({ name: "store1", s3 }).error?.issues[0]?.message).toBe(
      "path: an S3 datastore needs a local cache directory",
    );
    expect(datastoreCreateSchema.parse({ name: "store1", path: "/srv/cache", s3 }).s3).toEqual({ ...s3, pathStyle: false });
    expect(datastoreCreateSchema.safeParse({ name: "store1", path: "/srv/cache", s3: { ...s3, bucket: "B" } }).success).toBe(false);
  });
});
