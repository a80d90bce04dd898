import { describe, expect, it } from "vitest";
import { firstLine, formatSize, formatUtcTime, inNamespace, namespaceLabel, snapshotName } from "./format";

describe("formatSize", () => {
  it("prints bytes below one KiB as whole bytes", () => {
    expect(formatSize(0)).toBe("0 B");
    expect(formatSize(1023)).toBe("1023 B");
  });

  it("prints binary units with one decimal", () => {
    expect(formatSize(1024)).toBe("1.0 KiB");
    expect(formatSize(1.2 * 1024 ** 3)).toBe("1.2 GiB");
    expect(formatSize(5 * 1024 ** 4)).toBe("5.0 TiB");
  });

  it("moves to the next unit instead of printing 1024.0", () => {
    expect(formatSize(1024 ** 2 - 1)).toBe("1.0 MiB");
  });

  it("prints a dash for values that are not sizes", () => {
    expect(formatSize(-1)).toBe("—");
    expect(formatSize(Number.NaN)).toBe("—");
  });
});

describe("formatUtcTime", () => {
  it("prints epoch seconds as UTC, whatever the local zone", () => {
    expect(formatUtcTime(1573810755)).toBe("2019-11-15 09:39:15");
  });
});

describe("snapshotName", () => {
  it("matches the PBS snapshot directory name", () => {
    expect(snapshotName("vm", "100", 1573810755)).toBe("vm/100/2019-11-15T09:39:15Z");
  });
});

describe("namespaceLabel", () => {
  it("names the root namespace", () => {
    expect(namespaceLabel("")).toBe("Root");
    expect(namespaceLabel("a/b")).toBe("a/b");
  });
});

describe("firstLine", () => {
  it("keeps only the first line of notes", () => {
    expect(firstLine("before upgrade\nsecond line")).toBe("before upgrade");
    expect(firstLine("a\r\nb")).toBe("a");
    expect(firstLine(undefined)).toBe("");
  });
});

describe("inNamespace", () => {
  it("adds the namespace for items outside the root", () => {
    expect(inNamespace("")).toBe("");
    expect(inNamespace("a/b")).toBe(" in a/b");
  });
});
