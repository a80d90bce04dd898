/**
 * Red-team regression (issue 9.7): a backup id over 255 bytes made eight procedures answer 500
 * with `ENAMETOOLONG ... lstat '/abs/path'`, and engine errors could carry server paths to
 * low-privilege callers. Now lengths are validated as the file system needs them, raw file
 * system errors get the caller's code, and no message names an absolute path of the server.
 */
import { describe, expect, it } from "vitest";
import { cofferHome } from "../config/paths";
import { getDatastoreConfig } from "../config/datastore-config";
import { CofferError } from "../datastore/model/errors";
import { toTRPCError } from "./init";
import { redactPaths } from "./public-error";
import { caller, useDemoHome } from "./test-support";

useDemoHome();

type AnyCaller = Record<string, Record<string, (input: unknown) => Promise<unknown>>>;

const LONG = "a".repeat(300);
const group = { type: "vm", id: LONG };
const snapshot = { ...group, time: 1_700_000_000 };
const base = { store: "demo", ns: "" };

const CALLS: Record<string, unknown> = {
  "group.notes": { ...base, group },
  "group.setNotes": { ...base, group, notes: "x" },
  "group.setOwner": { ...base, group, owner: "root@pam" },
  "group.delete": { ...base, group },
  "snapshot.list": { ...base, group },
  "snapshot.notes": { ...base, snapshot },
  "snapshot.setNotes": { ...base, snapshot, notes: "x" },
  "snapshot.setProtected": { ...base, snapshot, protected: true },
  "snapshot.delete": { ...base, snapshot },
  "move.planGroup": { ...base, group, targetNs: "prod" },
  "move.startGroup": { ...base, group, targetNs: "prod" },
  "prune.dryRun": { ...base, group, keep: { "keep-last": 1 } },
  "prune.start": { ...base, group, keep: { "keep-last": 1 } },
  "verify.start": { ...base, group },
};

async function outcome(name: string, input: unknown): Promise<{ code?: string; message: string }> {
  const [noun, proc] = name.split(".") as [string, string];
  try {
    return { message: `answered ${JSON.stringify(await (caller() as unknown as AnyCaller)[noun]![proc]!(input)).slice(0, 200)}` };
  } catch (err) {
    return err as { code?: string; message: string };
  }
}

describe("errors an API caller sees", () => {
  it.each(Object.keys(CALLS))("%s: a 300-character backup id is BAD_REQUEST, saying the limit", async (name) => {
    const got = await outcome(name, CALLS[name]);
    expect(got.code, got.message).toBe("BAD_REQUEST");
    expect(got.message).toMatch(/at most 255 characters/);
    expect(got.message).not.toContain(cofferHome());
  });

  it("a verify of a missing group or snapshot is NOT_FOUND, naming it without a path", async () => {
    for (const input of [
      { ...base, group: { type: "vm", id: "4242" } },
      { ...base, snapshot: { type: "vm", id: "4242", time: 1_700_000_000 } },
      { ...base, ns: "no/such" },
    ]) {
      const got = await outcome("verify.start", input);
      expect(got.code, got.message).toBe("NOT_FOUND");
      expect(got.message).not.toMatch(/(^|[\s'"])\//);
    }
  });

  it("never carries an absolute path of the server, and maps raw file-system errors to the caller's code", async () => {
    const root = (await getDatastoreConfig("demo")).path;
    expect(redactPaths(`ENAMETOOLONG: name too long, lstat '${root}/vm/100'`)).toBe("ENAMETOOLONG: name too long, lstat 'vm/100'");
    expect(redactPaths(`unable to acquire lock "${cofferHome()}/run/locks/demo/vm-100" - held`)).toBe('unable to acquire lock "run/locks/demo/vm-100" - held');
    const eacces = Object.assign(new Error("EACCES: permission denied, open '/etc/shadow'"), { code: "EACCES", path: "/etc/shadow" });
    expect(redactPaths(`cannot read: ${eacces.message}`, new CofferError("INTERNAL", "x", { cause: eacces }))).toBe(
      "cannot read: EACCES: permission denied, open '…/shadow'",
    );
    // Not file paths: names and ACL paths stay.
    expect(redactPaths("move 'a/b' to 'c/d' (vm/100)")).toBe("move 'a/b' to 'c/d' (vm/100)");
    expect(redactPaths("permission check failed - missing Datastore.Modify on /datastore/demo/dev")).toBe(
      "permission check failed - missing Datastore.Modify on /datastore/demo/dev",
    );

    const raw = Object.assign(new Error(`ENAMETOOLONG: name too long, open '${root}/vm/x'`), { code: "ENAMETOOLONG" });
    expect(toTRPCError(raw)).toMatchObject({ code: "BAD_REQUEST", message: "ENAMETOOLONG: name too long, open 'vm/x'" });
    const wrapped = new CofferError("INTERNAL", `while reading: ${raw.message}`, { cause: raw });
    expect(toTRPCError(wrapped)).toMatchObject({ code: "BAD_REQUEST", message: "while reading: ENAMETOOLONG: name too long, open 'vm/x'" });
  });
});
