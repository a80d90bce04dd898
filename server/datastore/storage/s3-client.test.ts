import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3ObjectClient } from "./s3-client";
import { type TestSwift, useSwift } from "../test-support/swift";

let swift: TestSwift;
let client: S3ObjectClient;

beforeAll(async () => {
  swift = await useSwift();
  ({ client } = await swift.newBucket());
}, 120_000);
afterAll(async () => {
  client?.destroy();
  await swift?.stop();
});

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe("S3 client against OpenStack Swift", () => {
  it("puts and gets an object byte for byte, and says when one is missing", async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    await client.put("a/b/chunk", data);
    const back = await client.get("a/b/chunk");
    expect(back && sha(back)).toBe(sha(data));
    expect((await client.head("a/b/chunk"))?.size).toBe(data.length);
    expect(await client.get("a/b/missing")).toBeUndefined();
    expect(await client.head("a/b/missing")).toBeUndefined();
  });

  // Pages of 20 and batches of 50 rather than S3's 1000: the paging is the same, and 1000s of
  // PUTs cost a minute on a loaded CI machine.
  it("lists past one page, in key order", async () => {
    const keys = Array.from({ length: 47 }, (_, i) => `many/${String(i).padStart(5, "0")}`);
    for (let i = 0; i < keys.length; i += 32) await Promise.all(keys.slice(i, i + 32).map((k) => client.put(k, "x")));
    const pages: number[] = [];
    const seen: string[] = [];
    for await (const page of client.list("many/", 20)) {
      pages.push(page.length);
      seen.push(...page.map((o) => o.key));
    }
    expect(pages).toEqual([20, 20, 7]);
    expect(seen).toEqual(keys);
  });

  it("deletes in batches with Content-MD5 (Swift refuses DeleteObjects without it)", async () => {
    const keys = Array.from({ length: 70 }, (_, i) => `del/${i}`);
    for (let i = 0; i < keys.length; i += 32) await Promise.all(keys.slice(i, i + 32).map((k) => client.put(k, "y")));
    const before = client.requests;
    expect(await client.deletePrefix("del/", { pageSize: 40, batchSize: 50 })).toBe(70);
    // two list pages and two delete batches
    expect(client.requests - before).toBe(4);
    expect(await client.listAll("del/")).toEqual([]);
  });

  it("copies server-side, keys with characters that need escaping included", async () => {
    await client.put("src/ä ö+%&=/x", "payload");
    await client.copy("src/ä ö+%&=/x", "dst/ä ö+%&=/x");
    expect((await client.get("dst/ä ö+%&=/x"))?.toString()).toBe("payload");
  });

  it("fails with a message naming the bucket and the endpoint when the credentials are wrong", async () => {
    const bad = new S3ObjectClient({ ...swift.endpoint, secretAccessKey: "wrong" }, client.bucket);
    await expect(bad.put("k", "v")).rejects.toThrow(new RegExp(`uploading object 'k' on bucket '${client.bucket}' at .* failed \\(HTTP 403\\)`));
    bad.destroy();
  });
});
