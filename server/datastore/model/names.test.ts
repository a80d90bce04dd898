import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  archiveFileName,
  BackupNamespace,
  checkBackupId,
  checkDatastoreName,
  checkNamespaceDepthLimit,
  compareGroups,
  sortGroups,
  formatBackupTime,
  parseBackupTime,
  parseGroupPath,
  parseSnapshotPath,
  SAFE_ID_REGEX,
} from "./names";

const ns = (s: string) => BackupNamespace.parse(s);
const safeIdChar = fc.constantFrom(..."abcXYZ019_.-".split(""));
const safeId = fc
  .tuple(fc.constantFrom(..."aZ0_".split("")), fc.array(safeIdChar, { maxLength: 12 }))
  .map(([h, t]) => h + t.join(""));

describe("BackupNamespace parsing and formatting", () => {
  it("treats the empty string as the root", () => {
    const root = ns("");
    expect(root.isRoot).toBe(true);
    expect(root.depth).toBe(0);
    expect(root.toString()).toBe("");
    expect(root.path()).toBe("");
    expect(root.parent().isRoot).toBe(true);
  });

  it("renders the on-disk path with ns/ before every component", () => {
    expect(ns("a/b/c").path()).toBe("ns/a/ns/b/ns/c");
    expect(BackupNamespace.fromPath("ns/a/ns/b/ns/c").toString()).toBe("a/b/c");
    expect(BackupNamespace.fromPath("ns/a/ns/b/").toString()).toBe("a/b");
    expect(() => BackupNamespace.fromPath("ns/a/xx/b")).toThrow('invalid component in namespace path at "xx/b"');
  });

  it("accepts depth 7 and refuses depth 8 with PBS's text", () => {
    expect(ns("1/2/3/4/5/6/7").depth).toBe(7);
    expect(() => ns("1/2/3/4/5/6/7/8")).toThrow("namespace too deep, 7 >= max 7");
  });

  it("counts length with the +1 quirk: 256 exactly is refused when it is 255 + 1", () => {
    const c = "a".repeat(31); // 7 components of 31 chars: 7 * 32 = 224, fine
    expect(ns(Array(7).fill(c).join("/")).depth).toBe(7);
    // one component of 255 chars: 255 + 1 = 256 is allowed (> 256 fails)
    expect(ns("x".repeat(255)).depth).toBe(1);
    expect(() => ns("x".repeat(256))).toThrow("namespace length exceeded");
    // two components: 127+1 + 128+1 = 257 > 256
    expect(() => ns(`${"a".repeat(127)}/${"b".repeat(128)}`)).toThrow("namespace length exceeded");
  });

  it("refuses invalid components with PBS's text", () => {
    for (const bad of ["..", ".hidden", "-dash", "a b", "a:b", "ä", "a\u0000b", "a\nb"]) {
      expect(() => ns(bad)).toThrow(/not a valid namespace component/);
    }
    expect(() => ns("a//b")).toThrow(/not a valid namespace component/);
    expect(() => BackupNamespace.root.push("a/b")).toThrow("namespace component contained a slash");
  });

  it("never puts raw control characters into an error message", () => {
    try {
      ns("a\u0001b");
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toContain("\\x01");
      expect((err as Error).message).not.toMatch(/[\u0000-\u001f]/);
    }
  });

  it("contains: the values of PBS's doctest", () => {
    expect(ns("a/b").contains(ns("a/b"))).toBe(0);
    expect(ns("a/b").contains(ns("a/b/c/d"))).toBe(2);
    expect(ns("a/b").contains(ns("a"))).toBeUndefined();
    expect(ns("a/b").contains(ns("a/c/d"))).toBeUndefined();
    expect(ns("").contains(ns("x/y"))).toBe(2);
  });

  it("maps a prefix onto another namespace", () => {
    expect(ns("a/b/c").mapPrefix(ns("a"), ns("x/y")).toString()).toBe("x/y/b/c");
    expect(ns("a/b").mapPrefix(ns("a/b"), ns("")).toString()).toBe("");
    expect(() => ns("a/b").mapPrefix(ns("c"), ns("x"))).toThrow("Failed to map namespace - c is not a valid prefix of a/b");
    expect(() => ns("a/b/c").mapPrefix(ns("a"), ns("1/2/3/4/5/6"))).toThrow("namespace too deep, 7 >= max 7");
  });

  it("checks recursion depth against the limit", () => {
    ns("a/b").checkMaxDepth(5);
    expect(() => ns("a/b").checkMaxDepth(6)).toThrow("namespace 'a/b's depth and recursion depth exceed limit: 2 + 6 > 7");
  });

  it("checkNamespaceDepthLimit: sub + target = 7 passes, 8 fails", () => {
    const source = ns("s");
    const subtree = [ns("s"), ns("s/1"), ns("s/1/2")]; // sub depth 2
    checkNamespaceDepthLimit(source, ns("1/2/3/4/5"), subtree);
    expect(() => checkNamespaceDepthLimit(source, ns("1/2/3/4/5/6"), subtree)).toThrow(
      "namespace depth limit exceeded: source subtree depth (2) + target depth (6) would exceed max (7)",
    );
    checkNamespaceDepthLimit(source, ns("1/2/3/4/5/6/7"), []);
  });

  it("round-trips any valid namespace (property)", () => {
    fc.assert(
      fc.property(fc.array(safeId, { minLength: 0, maxLength: 7 }), (parts) => {
        const s = parts.join("/");
        const parsed = ns(s);
        expect(parsed.toString()).toBe(s);
        expect(parsed.depth).toBe(parts.length);
        expect(BackupNamespace.fromPath(parsed.path()).toString()).toBe(s);
        expect(parsed.parent().contains(parsed)).toBe(parts.length === 0 ? 0 : 1);
      }),
    );
  });

  it("accepts exactly the strings whose components are SAFE_IDs within the limits (property)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        const parts = s === "" ? [] : s.split("/");
        let len = 0;
        const valid =
          parts.length <= 7 &&
          parts.every((p) => {
            len += p.length + 1;
            return SAFE_ID_REGEX.test(p);
          }) &&
          len <= 256;
        if (valid) expect(ns(s).toString()).toBe(s);
        else expect(() => ns(s)).toThrow();
      }),
    );
  });
});

describe("ids, groups, snapshots, datastore names", () => {
  it("parses groups and refuses unknown types and bad ids", () => {
    expect(parseGroupPath("vm/100")).toEqual({ type: "vm", id: "100" });
    expect(parseGroupPath("host/my.host-1")).toEqual({ type: "host", id: "my.host-1" });
    for (const bad of ["qemu/100", "vm/", "vm/../x", "vm/a/b", "vm/.x", "/vm/1", "vm/a\u0000"]) {
      expect(() => parseGroupPath(bad)).toThrow(/invalid backup group/);
    }
  });

  it("accepts exactly SAFE_ID backup ids (property)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (s) => {
        if (/^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(s)) expect(checkBackupId(s)).toBe(s);
        else expect(() => checkBackupId(s)).toThrow(/invalid backup id/);
      }),
    );
  });

  it("formats and parses backup times in UTC with second precision", () => {
    expect(formatBackupTime(1573810755)).toBe("2019-11-15T09:39:15Z");
    expect(parseBackupTime("2019-11-15T09:39:15Z")).toBe(1573810755);
    expect(() => parseBackupTime("2019-13-15T09:39:15Z")).toThrow();
    expect(() => parseBackupTime("2019-11-15 09:39:15")).toThrow(/expected YYYY-MM-DDTHH:MM:SSZ/);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 253402300799 }), (t) => {
        expect(parseBackupTime(formatBackupTime(t))).toBe(t);
      }),
    );
  });

  it("parses snapshot paths", () => {
    expect(parseSnapshotPath("ct/101/2019-11-15T09:39:15Z")).toEqual({ type: "ct", id: "101", time: 1573810755 });
    expect(() => parseSnapshotPath("ct/101")).toThrow(/invalid snapshot/);
  });

  it("sorts groups the PBS way: type ct < host < vm, numeric ids first and numerically", () => {
    const groups = ["vm/100", "vm/20", "ct/5", "host/b", "vm/abc", "host/a", "vm/3", "ct/a1"].map(parseGroupPath);
    expect(groups.sort(compareGroups).map((g) => `${g.type}/${g.id}`)).toEqual([
      "ct/5",
      "ct/a1",
      "host/a",
      "host/b",
      "vm/3",
      "vm/20",
      "vm/100",
      "vm/abc",
    ]);
  });

  it("sortGroups agrees with compareGroups, leading zeros and long ids included", () => {
    const ids = ["007", "7", "0", "00", "10", "9", "1".repeat(40), "9".repeat(39), "a", "A", "0a", "x-1", "b_x", "1.5"];
    const groups = ["ct", "host", "vm"].flatMap((type) => ids.map((id) => parseGroupPath(`${type}/${id}`)));
    const shuffled = [...groups].reverse();
    const bySort = sortGroups([...shuffled]).map((g) => `${g.type}/${g.id}`);
    expect(bySort).toEqual([...shuffled].sort(compareGroups).map((g) => `${g.type}/${g.id}`));
    expect(bySort.slice(0, 9)).toEqual(["ct/0", "ct/00", "ct/007", "ct/7", "ct/9", "ct/10", `ct/${"9".repeat(39)}`, `ct/${"1".repeat(40)}`, "ct/0a"]);
  });

  it("validates datastore names: SAFE_ID, 3 to 32 characters", () => {
    expect(checkDatastoreName("abc")).toBe("abc");
    for (const bad of ["ab", "x".repeat(33), "../etc", "a/b", ".abc", "a b", ""]) {
      expect(() => checkDatastoreName(bad)).toThrow(/invalid datastore name/);
    }
  });

  it("maps archive names to server file names as PBS does", () => {
    expect(archiveFileName("drive-scsi0.img")).toBe("drive-scsi0.img.fidx");
    expect(archiveFileName("root.pxar")).toBe("root.pxar.didx");
    expect(archiveFileName("catalog.pcat1")).toBe("catalog.pcat1.didx");
    expect(archiveFileName("qemu-server.conf")).toBe("qemu-server.conf.blob");
    expect(archiveFileName("index.json")).toBe("index.json.blob");
    expect(archiveFileName("x.img.fidx")).toBe("x.img.fidx");
    expect(() => archiveFileName("data.tar")).toThrow("failed to parse archive type for 'data.tar'");
    for (const bad of ["a/", "..", "a/b.img", ""]) expect(() => archiveFileName(bad)).toThrow(/invalid archive name/);
  });
});
