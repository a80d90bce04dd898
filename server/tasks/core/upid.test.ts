import fc from "fast-check";
import { describe, expect, it } from "vitest";

import { selfStartTime } from "../../platform/process";
import { createUpid, escapeWorkerId, formatUpid, nodeName, parseUpid, splitAuthId, unescapeWorkerId, type Upid } from "./upid";

const PBS_EXAMPLE = "UPID:elsa:00004F37:0039E469:00000000:5CA78B83:garbage_collection::root@pam:";

/** Characters the UPID can carry in its type and auth id fields. */
const fieldChar = fc.string({ unit: "binary", minLength: 1, maxLength: 20 }).filter((s) => /^[^/:\s]+$/.test(s));

const upidArb: fc.Arbitrary<Upid> = fc.record(
  {
    node: fc.stringMatching(/^[a-zA-Z0-9]([a-zA-Z0-9-]{0,20}[a-zA-Z0-9])?$/),
    pid: fc.integer({ min: 0, max: 0xffffffff }),
    pstart: fc.integer({ min: 0, max: 0xfffffffff }), // 9 hex digits after ~497 days of uptime
    taskId: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    starttime: fc.integer({ min: 0, max: 0xffffffff }),
    workerType: fieldChar,
    workerId: fc.option(fc.string({ unit: "binary", minLength: 1, maxLength: 40 }), { nil: undefined }),
    authId: fc.constantFrom("root@pam", "admin@pbs", "alice@pbs!backup-1", "büro@pbs"),
  },
  { requiredKeys: ["node", "pid", "pstart", "taskId", "starttime", "workerType", "authId"] },
);

describe("UPID", () => {
  it("parses PBS's example and formats it back to the same text", () => {
    const u = parseUpid(PBS_EXAMPLE);
    expect(u).toEqual({
      node: "elsa",
      pid: 0x4f37,
      pstart: 0x39e469,
      taskId: 0,
      starttime: 0x5ca78b83,
      workerType: "garbage_collection",
      workerId: undefined,
      authId: "root@pam",
    });
    expect(formatUpid(u)).toBe(PBS_EXAMPLE);
  });

  it("round-trips any valid UPID through format and parse (property)", () => {
    fc.assert(
      fc.property(upidArb, (u) => {
        const text = formatUpid(u);
        expect(text).toMatch(/^UPID:.*:$/);
        expect(parseUpid(text)).toEqual({ ...u, workerId: u.workerId });
      }),
      { numRuns: 500 },
    );
  });

  it("formats upper-case hex with at least 8 digits, more for a large pstart", () => {
    const text = formatUpid({ node: "n", pid: 0xabc, pstart: 0x1_2345_6789, taskId: 1, starttime: 0x5ca78b83, workerType: "t", authId: "a@pam" });
    expect(text).toBe("UPID:n:00000ABC:123456789:00000001:5CA78B83:t::a@pam:");
  });

  it("escapes worker ids the systemd-unit way (PBS's example and edge cases)", () => {
    expect(escapeWorkerId("store1:a/vm/100:b")).toBe("store1\\x3aa-vm-100\\x3ab");
    expect(escapeWorkerId(".hidden.x")).toBe("\\x2ehidden.x");
    expect(escapeWorkerId("a-b c")).toBe("a\\x2db\\x20c");
    expect(escapeWorkerId("ä\n")).toBe("\\xc3\\xa4\\x0a");
    expect(unescapeWorkerId("store1\\x3aa-vm-100\\x3ab")).toBe("store1:a/vm/100:b");
    const u = parseUpid("UPID:elsa:00004F37:0039E469:00000000:5CA78B83:move-group:store1\\x3aa-vm-100\\x3ab:admin@pbs!tok:");
    expect(u.workerId).toBe("store1:a/vm/100:b");
    expect(splitAuthId(u.authId)).toEqual({ user: "admin@pbs", tokenid: "tok" });
  });

  it("round-trips arbitrary worker ids through escaping, into text the UPID can carry (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 60 }), (s) => {
        const escaped = escapeWorkerId(s);
        expect(escaped).toMatch(/^[A-Za-z0-9_.\\-]*$/);
        expect(unescapeWorkerId(escaped)).toBe(s);
      }),
      { numRuns: 1000 },
    );
  });

  it("refuses malformed UPIDs and escapes with PBS's texts", () => {
    expect(() => parseUpid("UPID:elsa:4F37:0039E469:00000000:5CA78B83:gc::root@pam:")).toThrow("unable to parse UPID 'UPID:elsa:4F37:");
    expect(() => parseUpid(PBS_EXAMPLE.slice(0, -1))).toThrow(/^unable to parse UPID/);
    expect(() => parseUpid("UPID:elsa:00004F37:0039E469:00000000:5CA78B83:gc:bad\\x4:root@pam:")).toThrow(/^unable to parse UPID/);
    expect(() => unescapeWorkerId("a\\y41")).toThrow(/invalid escape sequence/);
  });

  it("refuses what PBS's regex lets through but its character rules do not: paths and bad auth ids", () => {
    const head = "UPID:elsa:00004F37:0039E469:00000000:5CA78B83";
    // `/` in the worker type or the auth id, and an auth id that is no user@realm.
    for (const bad of [
      `${head}:gc/../../etc:x:root@pam:`,
      `${head}:..:x:root@pam/..:`,
      `${head}:gc:x:root:`,
      `${head}:gc:x:a@b!t!u:`,
    ]) {
      expect(() => parseUpid(bad), bad).toThrow(/^unable to parse UPID/);
    }
  });

  it("never formats a path separator into the file name, whatever the worker id held (property)", () => {
    const head = "UPID:elsa:00004F37:0039E469:00000000:5CA78B83:gc:";
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("a", "/", ".", "-", "\\x2f", "x") }), (wid) => {
        let parsed: Upid;
        try {
          parsed = parseUpid(`${head}${wid}:root@pam:`);
        } catch {
          return; // refused: fine
        }
        expect(formatUpid(parsed)).not.toContain("/");
      }),
    );
  });

  it("creates UPIDs for this process, refusing illegal worker types and auth ids", () => {
    const a = createUpid("verify", "store1", "root@pam");
    const b = createUpid("verify", undefined, "root@pam");
    expect(a.pid).toBe(process.pid);
    expect(a.pstart).toBe(selfStartTime());
    expect(a.node).toBe(nodeName());
    expect(b.taskId).toBe(a.taskId + 1);
    expect(Math.abs(a.starttime - Date.now() / 1000)).toBeLessThan(5);
    expect(parseUpid(formatUpid(a))).toEqual(a);
    expect(() => createUpid("a/b", undefined, "root@pam")).toThrow("illegal characters in worker type 'a/b'");
    expect(() => createUpid("a b", undefined, "root@pam")).toThrow("illegal characters in worker type 'a b'");
    expect(() => createUpid("gc", undefined, "ro:ot@pam")).toThrow("illegal characters in auth id 'ro:ot@pam'");
  });
});
