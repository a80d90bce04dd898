import { createHash } from "node:crypto";
import path from "node:path";

import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import {
  escapeBytes,
  escapePath,
  groupLockEntry,
  groupLockPath,
  lockRelativePath,
  manifestLockPath,
  namespaceLockDir,
  snapshotLockPath,
  unescapePath,
} from "./lock-names";
import { BackupNamespace } from "../model/names";

const SNAP_TIME = Date.parse("2022-05-02T08:11:33Z") / 1000;
const snap = { type: "vm" as const, id: "100", time: SNAP_TIME };
const ESCAPED_SNAP = "vm-100-2022\\x2d05\\x2d02T08\\x3a11\\x3a33Z";

let savedHome: string | undefined;
beforeEach(() => {
  savedHome = process.env.COFFER_HOME;
  // Only path arithmetic here: nothing is created, so a fixed (absent) home is enough.
  process.env.COFFER_HOME = "/nonexistent/coffer-home";
});
afterEach(() => {
  if (savedHome === undefined) delete process.env.COFFER_HOME;
  else process.env.COFFER_HOME = savedHome;
});

const locks = "/nonexistent/coffer-home/run/locks/store1";

describe("PBS lock names (reference 3.2)", () => {
  it("escapes the reference examples exactly", () => {
    expect(escapePath("vm/100")).toBe("vm-100");
    expect(escapePath("vm/100/2022-05-02T08:11:33Z")).toBe(ESCAPED_SNAP);
    expect(escapePath("vm/100/2022-05-02T08:11:33Z/.index.json.lck")).toBe(`${ESCAPED_SNAP}-.index.json.lck`);
  });

  it("builds group, snapshot and manifest lock paths in the root namespace", () => {
    const root = BackupNamespace.root;
    expect(groupLockPath("store1", root, snap)).toBe(`${locks}/vm-100`);
    expect(snapshotLockPath("store1", root, snap)).toBe(`${locks}/${ESCAPED_SNAP}`);
    expect(manifestLockPath("store1", root, snap)).toBe(`${locks}/${ESCAPED_SNAP}-.index.json.lck`);
  });

  it("puts nested namespaces in a folder of components joined with ':'", () => {
    const ns = BackupNamespace.parse("ns1/ns2/ns3");
    expect(snapshotLockPath("store1", ns, snap)).toBe(`${locks}/ns1:ns2:ns3/${ESCAPED_SNAP}`);
    const deep = BackupNamespace.parse("ns1/ns2/ns3/ns4/ns5/ns6/ns7");
    expect(lockRelativePath(deep, "vm/100/2022-05-02T08:11:33Z")).toBe(`ns1:ns2:ns3:ns4:ns5:ns6:ns7/${ESCAPED_SNAP}`);
    expect(groupLockPath("store1", BackupNamespace.parse("a"), { type: "ct", id: "x.y_z" })).toBe(`${locks}/a/ct-x.y_z`);
  });

  it("escapes '-', ':', non-ASCII bytes and a leading '.', and handles the edge inputs", () => {
    expect(escapePath("a-b:c")).toBe("a\\x2db\\x3ac");
    expect(escapePath(".hidden/.x")).toBe("\\x2ehidden-.x");
    expect(escapePath("é")).toBe("\\xc3\\xa9"); // one escape per UTF-8 byte, lowercase hex
    expect(escapePath("\n")).toBe("\\x0a"); // always two hex digits
    expect(escapePath("//vm/1")).toBe("vm-1"); // leading slashes stripped
    expect(escapePath("")).toBe("-");
    expect(escapePath("///")).toBe("-");
    expect(unescapePath(ESCAPED_SNAP)).toBe("vm/100/2022-05-02T08:11:33Z");
    expect(() => unescapePath("a\\x2")).toThrow(/invalid escape sequence/);
    expect(() => unescapePath("\\xff")).toThrow(/not valid UTF-8/);
  });

  it("switches to the hashed name exactly when the escaped name reaches 255 bytes", () => {
    // `vm-` + id: an id of 251 plain characters escapes to 254 bytes, 252 to 255.
    const fits = "a".repeat(251);
    expect(lockRelativePath(BackupNamespace.root, `vm/${fits}`)).toBe(`vm-${fits}`);

    const id = "b".repeat(200) + "-".repeat(13); // each '-' costs 4 bytes: 3 + 200 + 52 = 255
    const rel = `vm/${id}`;
    const enc = escapePath(rel);
    expect(enc.length).toBe(255);
    const hash = createHash("sha256").update(rel).digest("hex");
    const expected = `hashed/${enc.slice(0, 80)}...${enc.slice(-80)}-${hash}`;
    expect(lockRelativePath(BackupNamespace.root, rel)).toBe(expected);
    expect(groupLockPath("store1", BackupNamespace.parse("a/b"), { type: "vm", id })).toBe(`${locks}/a:b/${expected}`);
    expect(path.basename(expected).length).toBe(80 + 3 + 80 + 1 + 64);
  });

  it("names a group's lock within its namespace's lock folder, except a hashed one (listings rule groups out by it)", () => {
    for (const ns of [BackupNamespace.root, BackupNamespace.parse("a"), BackupNamespace.parse("a/b-c/d")]) {
      const group = { type: "ct" as const, id: "web-1" };
      expect(path.join(namespaceLockDir("store1", ns), groupLockEntry(ns, group)!)).toBe(groupLockPath("store1", ns, group));
      const long = { type: "vm" as const, id: "b".repeat(200) + "-".repeat(13) };
      expect(groupLockEntry(ns, long)).toBeUndefined();
      expect(path.dirname(groupLockPath("store1", ns, long))).toBe(path.join(namespaceLockDir("store1", ns), "hashed"));
    }
  });
});

// Arbitrary Unicode text; escaping works on UTF-8, so lone surrogates (not encodable) are out.
const text = fc.string({ unit: "binary", maxLength: 120 }).filter((s) => s.isWellFormed());

describe("lock name escaping properties", () => {
  it("unescape(escape(s)) === s for every non-empty s not starting with '/'", () => {
    fc.assert(
      fc.property(
        text.filter((s) => s.length > 0 && !s.startsWith("/")),
        (s) => unescapePath(escapePath(s)) === s,
      ),
      { numRuns: 500 },
    );
  });

  it("the ASCII shortcut escapes exactly as the byte-wise escaping does", () => {
    const ascii = fc.string({ unit: fc.constantFrom(..."/.-:_ aZ09x\\\u007f\u0001"), maxLength: 40 });
    fc.assert(fc.property(fc.oneof(ascii, text), (s) => escapePath(s) === escapeBytes(s)));
  });

  it("escaped names use only [A-Za-z0-9_.\\-], never '/', never a leading '.'", () => {
    fc.assert(
      fc.property(text, (s) => {
        const e = escapePath(s);
        return /^[A-Za-z0-9_.\\-]+$/.test(e) && !e.includes("/") && !e.startsWith(".");
      }),
      { numRuns: 500 },
    );
  });

  it("distinct paths never share a lock name, and every name fits in a file name", () => {
    const rel = fc.tuple(fc.constantFrom("vm", "ct", "host"), text.filter((s) => s.length > 0 && !s.includes("/")));
    fc.assert(
      fc.property(rel, rel, ([t1, id1], [t2, id2]) => {
        const a = lockRelativePath(BackupNamespace.root, `${t1}/${id1}`);
        const b = lockRelativePath(BackupNamespace.root, `${t2}/${id2}`);
        const sameInput = t1 === t2 && id1 === id2;
        return Buffer.byteLength(path.basename(a)) < 255 && (a === b) === sameInput;
      }),
      { numRuns: 500 },
    );
  });
});
