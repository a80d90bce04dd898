import { scryptSync } from "node:crypto";
import { crc32 } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { COMPRESSED_BLOB_MAGIC, decodeBlob, encodeBlob } from "./blob";
import {
  addManifestFile,
  type BackupManifest,
  canonicalJson,
  canonicalProtectedJson,
  manifestComment,
  manifestFile,
  manifestNotes,
  manifestSignature,
  manifestToJson,
  manifestVerifyState,
  newManifest,
  parseManifest,
  parseManifestJson,
  serializeManifest,
  setManifestNotes,
  setManifestVerifyState,
  verifyManifestFile,
  verifyManifestSignature,
} from "./manifest";

const ELSA_TIME = Date.parse("2020-06-26T13:56:05Z") / 1000;

function elsa(): BackupManifest {
  const m = newManifest({ type: "host", id: "elsa", time: ELSA_TIME });
  addManifestFile(m, "test1.img.fidx", 200, new Uint8Array(32).fill(1), "encrypt");
  addManifestFile(m, "abc.blob", 200, new Uint8Array(32).fill(2), "none");
  return m;
}

describe("manifest signature (PBS test_manifest_signature)", () => {
  // KeyDerivationConfig::Scrypt { n: 65536, r: 8, p: 1, salt: [] }.derive_key(b"test"); it needs
  // 64 MiB, over Node's default scrypt memory limit.
  const key = scryptSync("test", Buffer.alloc(0), 32, { N: 65536, r: 8, p: 1, maxmem: 256 * 1024 * 1024 });

  it("reproduces PBS's signature vector", () => {
    const m = elsa();
    m.unprotected.note = "This is not protected by the signature.";
    expect(manifestSignature(m, key)).toBe("d7b446fb7db081662081d4b40fedd858a1d6307a5aff4ecff7d5bf4fd35679e9");
  });

  it("survives a write and read, and ignores changes to unprotected", () => {
    const m = elsa();
    m.signature = manifestSignature(m, key);
    const back = parseManifest(serializeManifest(m));
    expect(back.signature).toBe("d7b446fb7db081662081d4b40fedd858a1d6307a5aff4ecff7d5bf4fd35679e9");
    setManifestNotes(back, "server-side notes");
    expect(() => verifyManifestSignature(back, key)).not.toThrow();
  });

  it("breaks when anything protected changes", () => {
    const m = elsa();
    m.signature = manifestSignature(m, key);
    m.files[1]!.size = 201;
    expect(() => verifyManifestSignature(m, key)).toThrow("wrong signature in manifest");
    const other = elsa();
    other.signature = manifestSignature(other, key);
    expect(() => verifyManifestSignature(other, Buffer.alloc(32, 9))).toThrow("wrong signature in manifest");
  });

  it("signs canonical JSON of everything but unprotected and signature", () => {
    const m = elsa();
    m.unprotected.note = "x";
    m.signature = "abc";
    expect(canonicalProtectedJson(m)).toBe(
      '{"backup-id":"elsa","backup-time":1593179765,"backup-type":"host","files":[' +
        `{"crypt-mode":"encrypt","csum":"${"01".repeat(32)}","filename":"test1.img.fidx","size":200},` +
        `{"crypt-mode":"none","csum":"${"02".repeat(32)}","filename":"abc.blob","size":200}]}`,
    );
  });
});

describe("canonicalJson", () => {
  it("does not depend on key order and round-trips through JSON.parse", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const text = canonicalJson(v);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(v)));
        const reversed = JSON.parse(JSON.stringify(v), (_k, x) =>
          x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).reverse()) : x,
        );
        expect(canonicalJson(reversed)).toBe(text);
      }),
    );
  });

  it("sorts keys at every depth and writes no whitespace", () => {
    expect(canonicalJson({ b: [1, { z: "a b", a: null }], a: true })).toBe('{"a":true,"b":[1,{"a":null,"z":"a b"}]}');
  });
});

describe("parse and serialise", () => {
  it("writes pretty JSON with sorted keys and the signature always present", () => {
    const m = newManifest({ type: "vm", id: "100", time: 1700000000 });
    addManifestFile(m, "qemu-server.conf.blob", 428, "AB".repeat(32));
    setManifestNotes(m, "first line\nsecond");
    const text = manifestToJson(m);
    expect(text).toBe(
      [
        "{",
        '  "backup-id": "100",',
        '  "backup-time": 1700000000,',
        '  "backup-type": "vm",',
        '  "files": [',
        "    {",
        '      "crypt-mode": "none",',
        `      "csum": "${"ab".repeat(32)}",`,
        '      "filename": "qemu-server.conf.blob",',
        '      "size": 428',
        "    }",
        "  ],",
        '  "signature": null,',
        '  "unprotected": {',
        '    "notes": "first line\\nsecond"',
        "  }",
        "}",
      ].join("\n"),
    );
    expect(decodeBlob(serializeManifest(m)).toString()).toBe(text);
    expect(parseManifest(serializeManifest(m))).toEqual(m);
  });

  it("reads a zstd-compressed manifest as PBS writes them when smaller", () => {
    // `zstd -1` of a pretty manifest made by the test's own rules.
    const z = Buffer.from(
      "KLUv/WRZAP0FABKLIyBQaaoDQO7W+scxX9WRzWks8VWmxiO8om+mGJIxM8aEAYtZbPOCAQIryUt3NYkOqkv4fr5UKpUwiW+2Np/PNZkSPQS2B7ZZ" +
        "EAThc11g+wRbAlAJHT1tjIFA7nM3Vx98C7pDRiVRtxu2bQx8vtoYQy5MeFQSAoqF4hCwSBx8ro5Jw9E2vc8XO+JUUCjdNo0SAGkTBNXkh9PW74me" +
        "ejiHBrDQzkRVYQPLyfs5AByRqiUpomY1DwQtUAegxsQDGIkEGQ==",
      "base64",
    );
    const raw = Buffer.concat([Buffer.from(COMPRESSED_BLOB_MAGIC), Buffer.alloc(4), z]);
    raw.writeUInt32LE(crc32(z), 8);
    const m = parseManifest(raw);
    expect(m["backup-id"]).toBe("elsa");
    expect(m.files[0]).toEqual({ filename: "abc.blob", "crypt-mode": "none", size: 200, csum: "02".repeat(32) });
    expect(manifestNotes(m)).toBe("compressed by PBS");
  });

  it("fills the defaults old manifests rely on and drops unknown keys", () => {
    const m = parseManifestJson(
      JSON.stringify({
        "backup-type": "ct",
        "backup-id": "101",
        "backup-time": 1,
        files: [{ filename: "root.pxar.didx", size: 5, csum: "CD".repeat(32) }],
        "something-new": 1,
      }),
    );
    expect(m).toEqual({
      "backup-type": "ct",
      "backup-id": "101",
      "backup-time": 1,
      files: [{ filename: "root.pxar.didx", "crypt-mode": "none", size: 5, csum: "cd".repeat(32) }],
      unprotected: {},
      signature: null,
    });
  });

  it("reports undecodable blobs, bad JSON and bad fields with PBS's texts", () => {
    const raw = serializeManifest(elsa());
    raw[raw.length - 1]! ^= 1;
    expect(() => parseManifest(raw)).toThrow(
      "decode backup manifest blob failed - Data blob has wrong CRC checksum.",
    );
    expect(() => parseManifest(encodeBlob(Buffer.from("{not json")))).toThrow(
      /^unable to parse backup manifest json - /,
    );
    const bad = { ...JSON.parse(manifestToJson(elsa())), "backup-type": "pod" };
    expect(() => parseManifestJson(JSON.stringify(bad))).toThrow(
      /^unable to parse backup manifest json - backup-type: /,
    );
    const badCsum = JSON.parse(manifestToJson(elsa()));
    badCsum.files[0].csum = "xyz";
    expect(() => parseManifestJson(JSON.stringify(badCsum))).toThrow(/files\.0\.csum: expected 64 hex characters/);
  });

  it("refuses to add a file without an archive extension", () => {
    expect(() => addManifestFile(elsa(), "notes.txt", 1, "00".repeat(32))).toThrow(/unknown archive type/);
  });
});

describe("file lookup and verification", () => {
  it("finds a file or names the missing one", () => {
    expect(manifestFile(elsa(), "abc.blob").size).toBe(200);
    expect(() => manifestFile(elsa(), "nope.blob")).toThrow("manifest does not contain file 'nope.blob'");
  });

  it("checks size before checksum, with PBS's texts", () => {
    const m = elsa();
    expect(() => verifyManifestFile(m, "abc.blob", 200, new Uint8Array(32).fill(2))).not.toThrow();
    expect(() => verifyManifestFile(m, "abc.blob", 200, "02".repeat(32).toUpperCase())).not.toThrow();
    expect(() => verifyManifestFile(m, "abc.blob", 199, "00".repeat(32))).toThrow(
      "wrong size for file 'abc.blob' (200 != 199)",
    );
    expect(() => verifyManifestFile(m, "abc.blob", 200, "00".repeat(32))).toThrow("wrong checksum for file 'abc.blob'");
  });
});

describe("unprotected accessors", () => {
  it("reads notes and their first line as the comment", () => {
    const m = elsa();
    expect(manifestNotes(m)).toBeUndefined();
    setManifestNotes(m, "weekly\ndetails");
    expect(manifestComment(m)).toBe("weekly");
    expect(parseManifest(serializeManifest(m)).unprotected.notes).toBe("weekly\ndetails");
  });

  it("reads verify_state only when it is well-formed", () => {
    const m = elsa();
    expect(manifestVerifyState(m)).toBeUndefined();
    setManifestVerifyState(m, { state: "failed", upid: "UPID:host:1:2:3:4:verify::root@pam:" });
    expect(manifestVerifyState(parseManifest(serializeManifest(m)))).toEqual({
      state: "failed",
      upid: "UPID:host:1:2:3:4:verify::root@pam:",
    });
    m.unprotected.verify_state = { state: "maybe" };
    expect(manifestVerifyState(m)).toBeUndefined();
  });
});
