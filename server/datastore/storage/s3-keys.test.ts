import { describe, expect, it } from "vitest";
import { S3Keys } from "./s3-keys";

// The examples of PBS's pbs-datastore/src/s3.rs tests (reference 1.7 and 10).
describe("S3 object keys", () => {
  const keys = new S3Keys("store1");
  it("puts content under .cnt, the empty path being .cnt/.marker", () => {
    expect(keys.content("vm/100/2025-07-14T14:20:02Z/drive-scsci0.img.fidx")).toBe(
      "store1/.cnt/vm/100/2025-07-14T14:20:02Z/drive-scsci0.img.fidx",
    );
    expect(keys.content("")).toBe("store1/.cnt/.marker");
    expect(keys.contentRel("store1/.cnt/vm/100/owner")).toBe("vm/100/owner");
    expect(keys.contentRel("store1/.chunks/bb9f/x")).toBeUndefined();
  });
  it("refuses absolute paths", () => {
    expect(() => keys.content("/vm/100")).toThrow("cannot generate object key from absolute path");
  });
  it("puts chunks under .chunks/<4 hex>/<digest>, with a suffix without slashes", () => {
    const digest = Buffer.from("bb9f8df61474d25e71fa00722318cd387396ca1736605e1248821cc0de3d3af8", "hex");
    expect(keys.chunk(digest)).toBe("store1/.chunks/bb9f/bb9f8df61474d25e71fa00722318cd387396ca1736605e1248821cc0de3d3af8");
    expect(keys.chunk(digest, ".0.bad")).toMatch(/\.0\.bad$/);
    expect(() => keys.chunk(digest, "/.0.bad")).toThrow("invalid suffix containing slashes");
  });
});
