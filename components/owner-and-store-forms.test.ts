import { describe, expect, it } from "vitest";
import { addDatastoreProblems } from "./AddDatastoreDialog";
import { newOwnerProblem } from "./ChangeOwnerDialog";

describe("newOwnerProblem", () => {
  it("accepts a user or a token that is not the current owner", () => {
    expect(newOwnerProblem("alice@pbs", "root@pam")).toBeUndefined();
    expect(newOwnerProblem("alice@pbs!nightly", "alice@pbs")).toBeUndefined();
  });

  it("says what an owner looks like, and that the current one already owns it", () => {
    expect(newOwnerProblem("", "root@pam")).toBe("Choose the new owner.");
    expect(newOwnerProblem("alice", "root@pam")).toMatch(/user@realm, e\.g\. alice@pbs\) or an API token \(user@realm!name\)/);
    expect(newOwnerProblem("root@pam", "root@pam")).toBe("root@pam already owns this group.");
  });
});

describe("addDatastoreProblems", () => {
  const ok = { name: "store1", path: "", reuse: false, comment: "" };

  it("accepts a name alone (the default location), or an absolute path", () => {
    expect(addDatastoreProblems(ok)).toEqual({ name: undefined, path: undefined, comment: undefined });
    expect(addDatastoreProblems({ ...ok, path: "/srv/coffer/store1" }).path).toBeUndefined();
  });

  it("says what is allowed for each field", () => {
    expect(addDatastoreProblems({ ...ok, name: "" }).name).toMatch(/3 to 32 characters/);
    expect(addDatastoreProblems({ ...ok, name: "-x1" }).name).toMatch(/invalid datastore name '-x1': use 3 to 32 characters/);
    expect(addDatastoreProblems({ ...ok, path: "rel/dir" }).path).toMatch(/is not absolute: use an absolute directory path/);
    expect(addDatastoreProblems({ ...ok, path: "/a/../b" }).path).toMatch(/no '\.', '\.\.', '\/\/'/);
    expect(addDatastoreProblems({ ...ok, reuse: true }).path).toMatch(/Enter the directory of the existing datastore/);
    expect(addDatastoreProblems({ ...ok, comment: "x".repeat(129) }).comment).toMatch(/at most 128 characters/);
  });

  it("checks the zstd level with the server's rule, and ignores it without compression", () => {
    const zstd = { ...ok, compression: "zstd" as const };
    expect(addDatastoreProblems({ ...zstd, level: "2" }).level).toBeUndefined();
    expect(addDatastoreProblems({ ...zstd, level: "19" }).level).toBeUndefined();
    expect(addDatastoreProblems({ ...zstd, level: "" }).level).toBe("Enter a zstd level from 1 to 19 (default 2).");
    expect(addDatastoreProblems({ ...zstd, level: "2.5" }).level).toBe("invalid compression level '2.5': use a zstd level from 1 to 19 (default 2)");
    expect(addDatastoreProblems({ ...zstd, level: "20" }).level).toBe("invalid compression level 20: use a zstd level from 1 to 19 (default 2)");
    expect(addDatastoreProblems({ ...zstd, level: "0" }).level).toMatch(/invalid compression level 0/);
    expect(addDatastoreProblems({ ...ok, compression: "none", level: "" }).level).toBeUndefined();
  });
});
