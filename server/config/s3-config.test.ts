import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { paths } from "./paths";
import { formatBackend, getS3Credentials, parseBackend, putS3Credentials } from "./s3-config";
import { useTempHome } from "../datastore/test-support/lock-env";

let home: Awaited<ReturnType<typeof useTempHome>>;
const saved = { key: process.env.COFFER_S3_ACCESS_KEY, secret: process.env.COFFER_S3_SECRET_KEY };
beforeEach(async () => {
  home = await useTempHome();
  delete process.env.COFFER_S3_ACCESS_KEY;
  delete process.env.COFFER_S3_SECRET_KEY;
});
afterEach(async () => {
  await home.cleanup();
  if (saved.key !== undefined) process.env.COFFER_S3_ACCESS_KEY = saved.key;
  if (saved.secret !== undefined) process.env.COFFER_S3_SECRET_KEY = saved.secret;
});

describe("S3 config", () => {
  it("reads and writes PBS's backend property string", () => {
    const spec = { type: "s3" as const, client: "store1", bucket: "b1" };
    expect(parseBackend(formatBackend(spec))).toEqual(spec);
    expect(parseBackend(undefined)).toBeUndefined();
    expect(() => parseBackend("type=s3,bucket=b1")).toThrow("expected type=s3,client=<id>,bucket=<name>");
  });

  it("takes credentials from an owner-only file and refuses one others can read, without printing them", async () => {
    await putS3Credentials("store1", { accessKeyId: "AKID", secretAccessKey: "s3cr3t" });
    expect(getS3Credentials("store1")).toEqual({ accessKeyId: "AKID", secretAccessKey: "s3cr3t" });
    chmodSync(paths.s3Credentials(), 0o644);
    let message = "";
    try {
      getS3Credentials("store1");
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain("readable by its owner only (chmod 600; it is 644)");
    expect(message).not.toContain("s3cr3t");
  });

  it("prefers the environment, and says where it looked when there are none", () => {
    mkdirSync(paths.etc(), { recursive: true });
    writeFileSync(paths.s3Credentials(), "{}", { mode: 0o600 });
    expect(() => getS3Credentials("other")).toThrow("set COFFER_S3_ACCESS_KEY and COFFER_S3_SECRET_KEY");
    process.env.COFFER_S3_ACCESS_KEY = "envkey";
    process.env.COFFER_S3_SECRET_KEY = "envsecret";
    expect(getS3Credentials("other")).toEqual({ accessKeyId: "envkey", secretAccessKey: "envsecret" });
  });
});
