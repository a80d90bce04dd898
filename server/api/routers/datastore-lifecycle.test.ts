/**
 * datastore.create and datastore.remove: the console's Add datastore and Remove, with the CLI's
 * options and PBS's privilege (Datastore.Allocate on /datastore, or on the store to remove it).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser, grantRole } from "../../auth";
import { openDatastore } from "../../datastore";
import { caller, callerAs, codeOf, useDemoHome } from "../test-support";

const env = useDemoHome();
// Each holds a chunk store (65,536 directories): removed after the file, or tmpfs runs out of inodes.
const scratchDirs: string[] = [];
const scratch = () => {
  const dir = mkdtempSync(path.join(existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir(), "coffer-ds-"));
  scratchDirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
});

beforeAll(async () => {
  await createUser("allocator@pbs", { password: "allocator-secret" });
  await grantRole({ path: "/datastore", authId: "allocator@pbs", role: "Admin" });
  await createUser("dsadmin@pbs", { password: "dsadmin-secret" });
  await grantRole({ path: "/datastore", authId: "dsadmin@pbs", role: "DatastoreAdmin" });
});

const names = async () => (await caller().datastore.list()).map((d) => d.name);

describe("datastore.create", () => {
  it("creates a store at the default path, listed at once, with a chunk store", async () => {
    const made = await callerAs("allocator@pbs").datastore.create({ name: "fresh1", comment: "made in the console" });
    expect(made).toMatchObject({ name: "fresh1", path: path.join(env.home(), "datastores", "fresh1"), comment: "made in the console" });
    expect(existsSync(path.join(made.path, ".chunks", "ffff"))).toBe(true);
    expect(await names()).toContain("fresh1");
  });

  it("creates one at a chosen absolute path, and attaches an existing one with reuse", async () => {
    const dir = path.join(scratch(), "store");
    await caller().datastore.create({ name: "at-path", path: dir });
    expect(existsSync(path.join(dir, ".chunks", "0000"))).toBe(true);
    await caller().datastore.remove({ store: "at-path" });
    expect(existsSync(path.join(dir, ".chunks"))).toBe(true);
    // Attaching does not change the directory: a marker file survives, nothing is added.
    writeFileSync(path.join(dir, "marker"), "x");
    const attached = await caller().datastore.create({ name: "attached", path: dir, reuse: true });
    expect(attached.path).toBe(dir);
    expect(existsSync(path.join(dir, "marker"))).toBe(true);
    expect(await names()).toContain("attached");
  });

  it("refuses what is not allowed, says what is, and creates nothing", async () => {
    const refused = async (input: Parameters<ReturnType<typeof caller>["datastore"]["create"]>[0]) => {
      try {
        await caller().datastore.create(input);
      } catch (err) {
        return err as { code: string; message: string };
      }
      throw new Error(`accepted ${JSON.stringify(input)}`);
    };
    expect(await refused({ name: "x" })).toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/use 3 to 32 characters of A-Z a-z 0-9 _ \. -/) });
    expect(await refused({ name: "rel", path: "data/rel" })).toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/not absolute: use an absolute directory path/) });
    expect(await refused({ name: "dots", path: "/srv/../etc" })).toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/no '\.', '\.\.'/) });
    expect(await refused({ name: "noreuse", reuse: true })).toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/path: required to attach/) });
    const notPbs = scratch();
    mkdirSync(path.join(notPbs, "stuff"));
    expect(await refused({ name: "notpbs", path: notPbs, reuse: true })).toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/not a PBS-format datastore/) });
    expect(await refused({ name: "notempty", path: notPbs })).toMatchObject({ code: "CONFLICT", message: expect.stringMatching(/is not empty/) });
    expect(await refused({ name: "demo" })).toMatchObject({ code: "CONFLICT", message: "datastore 'demo' already exists" });
    const list = await names();
    for (const n of ["x", "rel", "dots", "noreuse", "notpbs", "notempty"]) expect(list).not.toContain(n);
    expect(existsSync(path.join(notPbs, ".chunks"))).toBe(false);
  });

  it("records how backups compress, shows it in list, get and status, and refuses a bad setting", async () => {
    const plain = await caller().datastore.create({ name: "plain1", path: path.join(scratch(), "p"), compression: "none" });
    expect(plain.compression).toEqual({ type: "none" });
    const z5 = await caller().datastore.create({ name: "zstd5", path: path.join(scratch(), "z"), compressionLevel: 5 });
    expect(z5.compression).toEqual({ type: "zstd", level: 5 });
    expect((await caller().datastore.get({ store: "zstd5" })).compression).toEqual({ type: "zstd", level: 5 });
    expect((await caller().datastore.list()).find((d) => d.name === "plain1")?.compression).toEqual({ type: "none" });
    expect((await caller().datastore.status({ store: "plain1" })).compression).toEqual({ type: "none" });
    // The default: zstd at the default level, as the config leaves it unset.
    const dflt = await caller().datastore.create({ name: "zdefault", path: path.join(scratch(), "d") });
    expect(dflt.compression).toEqual({ type: "zstd", level: 2 });

    const refused = async (input: Parameters<ReturnType<typeof caller>["datastore"]["create"]>[0]) =>
      caller()
        .datastore.create(input)
        .then(
          () => undefined,
          (err: { code: string; message: string }) => err,
        );
    expect(await refused({ name: "lz4x", compression: "lz4" })).toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("invalid compression 'lz4': use zstd (the default) or none") });
    expect(await refused({ name: "lvl0", compressionLevel: 0 })).toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("use a zstd level from 1 to 19 (default 2)") });
    expect(await refused({ name: "lvl25", compressionLevel: 2.5 })).toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("invalid compression level 2.5") });
    expect(await refused({ name: "nonelvl", compression: "none", compressionLevel: 3 })).toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("needs compression zstd, not none") });
    const list = await names();
    for (const n of ["lz4x", "lvl0", "lvl25", "nonelvl"]) expect(list).not.toContain(n);
    expect(existsSync(path.join(env.home(), "datastores", "lvl0"))).toBe(false);
  });

  it("needs Datastore.Allocate on /datastore, which DatastoreAdmin does not give (PBS)", async () => {
    await expect(callerAs("dsadmin@pbs").datastore.create({ name: "nope1" })).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: "permission check failed - missing Datastore.Allocate on /datastore",
    });
    expect(await names()).not.toContain("nope1");
  });
});

describe("datastore.remove", () => {
  it("forgets a store and keeps its data, or destroys it when asked", async () => {
    const kept = await caller().datastore.create({ name: "keepme", path: path.join(scratch(), "k") });
    const gone = await caller().datastore.create({ name: "dropme", path: path.join(scratch(), "d") });
    await expect(callerAs("allocator@pbs").datastore.remove({ store: "keepme" })).resolves.toMatchObject({ name: "keepme", destroyed: false });
    expect(existsSync(path.join(kept.path, ".chunks"))).toBe(true);
    await expect(callerAs("allocator@pbs").datastore.remove({ store: "dropme", destroyData: true })).resolves.toMatchObject({ destroyed: true });
    expect(existsSync(gone.path)).toBe(false);
    const list = await names();
    expect(list).not.toContain("keepme");
    expect(list).not.toContain("dropme");
  });

  it("refuses a store in use, and changes nothing", async () => {
    await caller().datastore.create({ name: "busy1", path: path.join(scratch(), "b") });
    const ds = await openDatastore("busy1", "read");
    try {
      await expect(caller().datastore.remove({ store: "busy1", destroyData: true })).rejects.toMatchObject({
        code: "CONFLICT",
        message: expect.stringMatching(/datastore 'busy1' is in use \(1 reading, 0 writing/),
      });
    } finally {
      await ds.close();
    }
    expect(await names()).toContain("busy1");
    await caller().datastore.remove({ store: "busy1" });
  });

  it("answers NOT_FOUND for an unknown store and needs Datastore.Allocate", async () => {
    expect(await codeOf(caller().datastore.remove({ store: "no-such-store" }))).toBe("NOT_FOUND");
    await expect(callerAs("dsadmin@pbs").datastore.remove({ store: "demo" })).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: "permission check failed - missing Datastore.Allocate on /datastore/demo",
    });
    expect(await names()).toContain("demo");
  });
});

describe("datastore.update", () => {
  beforeAll(async () => {
    await createUser("auditor@pbs", { password: "auditor-secret" });
    await grantRole({ path: "/datastore", authId: "auditor@pbs", role: "DatastoreAudit" });
  });

  it("changes how new chunks are compressed and the comment, as DatastoreAdmin may (Datastore.Modify)", async () => {
    await caller().datastore.create({ name: "opts1", path: path.join(scratch(), "o"), comment: "before" });
    const none = await callerAs("dsadmin@pbs").datastore.update({ store: "opts1", compression: "none" });
    expect(none.compression).toEqual({ type: "none" });
    expect(none.comment).toBe("before");
    const z7 = await caller().datastore.update({ store: "opts1", compression: "zstd", compressionLevel: 7, comment: "after" });
    expect(z7).toMatchObject({ compression: { type: "zstd", level: 7 }, comment: "after" });
    expect((await caller().datastore.status({ store: "opts1" })).compression).toEqual({ type: "zstd", level: 7 });
    // zstd alone keeps the level; an empty comment removes it.
    expect(await caller().datastore.update({ store: "opts1", compression: "zstd", comment: "" })).toMatchObject({ compression: { type: "zstd", level: 7 }, comment: undefined });
  });

  it("refuses what is not allowed, says what is, and changes nothing", async () => {
    await caller().datastore.create({ name: "opts2", path: path.join(scratch(), "o2"), compression: "none", comment: "kept" });
    const refused = (input: Parameters<ReturnType<typeof caller>["datastore"]["update"]>[0], as = caller()) =>
      as.datastore.update(input).then(
        () => undefined,
        (err: { code: string; message: string }) => err,
      );
    expect(await refused({ store: "opts2" })).toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("nothing to change") });
    expect(await refused({ store: "opts2", compression: "gzip" })).toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("invalid compression 'gzip'") });
    expect(await refused({ store: "opts2", compressionLevel: 30 })).toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("use a zstd level from 1 to 19") });
    expect(await refused({ store: "opts2", compressionLevel: 3 })).toMatchObject({
      code: "BAD_REQUEST",
      message: "datastore 'opts2' stores chunks uncompressed: set compression zstd to use a level",
    });
    expect(await refused({ store: "opts2", compression: "none", compressionLevel: 3 })).toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("needs compression zstd, not none") });
    expect(await refused({ store: "opts2", comment: "two\nlines" })).toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("no control characters") });
    expect(await refused({ store: "no-such-store", comment: "x" })).toMatchObject({ code: "NOT_FOUND" });
    expect(await refused({ store: "opts2", compression: "zstd" }, callerAs("auditor@pbs"))).toMatchObject({
      code: "FORBIDDEN",
      message: "permission check failed - missing Datastore.Modify on /datastore/opts2",
    });
    expect(await caller().datastore.get({ store: "opts2" })).toMatchObject({ compression: { type: "none" }, comment: "kept" });
  });
});
