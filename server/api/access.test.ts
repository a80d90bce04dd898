/**
 * Every procedure declares who may call it (DESIGN.md 13): the auth middleware refuses a
 * procedure without `meta.access`, so one missing here would be unusable, and one declared
 * wrongly would be checked wrongly. This walks the whole appRouter, then calls every procedure
 * with minimal valid-looking input as nobody (UNAUTHORIZED) and as a user without any ACL entry
 * (FORBIDDEN, or only their own things for the few self-service procedures). A procedure added
 * without an entry in INPUTS fails here.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { createUser, grantRole, isPrivilege } from "../auth";
import { formatUpid } from "../tasks";
import { appRouter } from "./root";
import type { Access } from "./init";
import { callerAs, useDemoHome } from "./test-support";

interface ProcedureLike {
  _def: { type: "query" | "mutation" | "subscription"; meta?: { access?: Access } };
}

const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, ProcedureLike>);
const PATHS = ["public", "authenticated", "datastores", "store", "ns", "ns-parent", "system", "users", "acl"];

describe("access declarations", () => {
  it("finds the procedures", () => {
    expect(procedures.length).toBeGreaterThan(10);
  });

  it.each(procedures.map(([name, p]) => [name, p] as const))("%s declares its access", (_name, procedure) => {
    const access = procedure._def.meta?.access;
    expect(access, "missing .meta({ access })").toBeDefined();
    expect(PATHS).toContain(access!.path);
    for (const p of [...access!.privileges, ...(access!.ownerPrivileges ?? [])]) expect(isPrivilege(p), p).toBe(true);
    if (access!.path === "public" || access!.path === "authenticated") {
      // Nothing is checked on these paths: listing privileges there would be a false promise.
      expect(access!.privileges).toEqual([]);
      expect(access!.ownerPrivileges ?? []).toEqual([]);
    } else {
      expect(access!.privileges.length + (access!.ownerPrivileges === undefined ? 0 : 1)).toBeGreaterThan(0);
    }
  });

  it("keeps every change behind a login", () => {
    const open = procedures
      .filter(([, p]) => p._def.type !== "query" && p._def.meta?.access?.path === "public")
      .map(([name]) => name);
    // Only logging in may change something without a caller.
    expect(open.filter((name) => !/^auth\.login$/.test(name))).toEqual([]);
  });
});

useDemoHome();

/** A task of root@pam: someone else's for the test users. */
const ROOT_UPID = formatUpid({
  node: "localhost",
  pid: 4242,
  pstart: 1,
  taskId: 0,
  starttime: 1_700_000_000,
  workerType: "move-group",
  workerId: "demo:x",
  authId: "root@pam",
});

const group = { type: "vm", id: "100" } as const;
const snapshot = { ...group, time: 1_700_000_000 };

/**
 * Minimal valid-looking input for every procedure. Where a procedure serves the caller's own
 * things without a privilege (tokens, password, tasks), the input names someone else's.
 */
const INPUTS: Record<string, unknown> = {
  "auth.login": { username: "nobody@pbs", password: "wrong" },
  "auth.logout": undefined,
  "auth.whoami": undefined,
  "auth.permissions": { path: "/datastore/demo" },
  "account.changePassword": { currentPassword: "not-the-password", newPassword: "secret123" },
  "account.sessions": undefined,
  "account.endSession": { id: "A".repeat(22) },
  "account.logoutEverywhere": undefined,
  "user.list": undefined,
  "user.create": { userid: "new@pbs", password: "secret123" },
  "user.update": { userid: "admin@pbs", comment: "x" },
  "user.delete": { userid: "admin@pbs" },
  "user.setPassword": { userid: "admin@pbs", password: "secret123" },
  "token.list": { userid: "admin@pbs" },
  "token.create": { userid: "admin@pbs", name: "t1" },
  "token.revoke": { tokenid: "admin@pbs!t1" },
  "acl.list": undefined,
  "acl.update": { path: "/", authId: "none@pbs", role: "Admin" },
  "datastore.list": undefined,
  "datastore.get": { store: "demo" },
  "datastore.status": { store: "demo" },
  "datastore.usage": undefined,
  "datastore.usageHistory": { store: "demo" },
  "datastore.gcHistory": { store: "demo" },
  "datastore.create": { name: "newstore" },
  "datastore.update": { store: "demo", comment: "x" },
  "datastore.remove": { store: "demo" },
  "datastore.refresh": { store: "demo" },
  "namespace.list": { store: "demo", parent: "" },
  "namespace.create": { store: "demo", parent: "", name: "x" },
  "namespace.delete": { store: "demo", ns: "prod" },
  "group.list": { store: "demo", ns: "" },
  "content.search": { store: "demo", text: "vm" },
  "content.locate": { store: "demo", ns: "", group: { type: "vm", id: "100" } },
  "group.notes": { store: "demo", ns: "", group },
  "group.setNotes": { store: "demo", ns: "", group, notes: "x" },
  "group.setOwner": { store: "demo", ns: "", group, owner: "none@pbs" },
  "group.delete": { store: "demo", ns: "", group },
  "snapshot.list": { store: "demo", ns: "", group },
  "snapshot.notes": { store: "demo", ns: "", snapshot },
  "snapshot.setNotes": { store: "demo", ns: "", snapshot, notes: "x" },
  "snapshot.setProtected": { store: "demo", ns: "", snapshot, protected: true },
  "snapshot.delete": { store: "demo", ns: "", snapshot },
  "restore.archives": { store: "demo", ns: "", snapshot },
  "restore.browse": { store: "demo", ns: "", snapshot, archive: "root.pxar.didx", path: "etc" },
  "move.planGroup": { store: "demo", ns: "", group, targetNs: "prod" },
  "move.planNamespace": { store: "demo", ns: "prod", targetNs: "archive/prod" },
  "move.startGroup": { store: "demo", ns: "", group, targetNs: "prod" },
  "move.startNamespace": { store: "demo", ns: "prod", targetNs: "archive/prod" },
  "maintenance.get": { store: "demo" },
  "maintenance.set": { store: "demo", mode: "read-only" },
  "maintenance.activeOperations": { store: "demo" },
  "task.list": {},
  "task.status": { upid: ROOT_UPID },
  "task.log": { upid: ROOT_UPID },
  "task.stop": { upid: ROOT_UPID },
  "task.follow": { upid: ROOT_UPID },
  "gc.status": { store: "demo" },
  "gc.start": { store: "demo" },
  "verify.start": { store: "demo", ns: "" },
  "prune.dryRun": { store: "demo", ns: "", group, keep: { "keep-last": 1 } },
  "prune.start": { store: "demo", ns: "", group, keep: { "keep-last": 1 } },
  "job.list": { store: "demo" },
  "job.failures": undefined,
  "job.setGcSchedule": { store: "demo", schedule: "daily" },
  "job.createPrune": { store: "demo", ns: "", id: "tidy", schedule: "daily", "keep-last": 1 },
  "job.createVerify": { store: "demo", ns: "", id: "check", schedule: "daily" },
  "job.updatePrune": { store: "demo", id: "tidy", set: { "keep-last": 2 } },
  "job.updateVerify": { store: "demo", id: "check", set: { "outdated-after": 2 } },
  "job.removePrune": { store: "demo", id: "tidy" },
  "job.removeVerify": { store: "demo", id: "check" },
  "job.runGc": { store: "demo" },
  "job.runPrune": { store: "demo", id: "tidy" },
  "job.runVerify": { store: "demo", id: "check" },
  "job.notifyConfig": undefined,
  "job.setWebhook": { webhook: "http://127.0.0.1:9/hook" },
};

/**
 * Procedures a user without privileges may call, each for a reason, and what they answer:
 * only the caller's own things (so nothing for a new user).
 */
const SELF_SERVICE: Record<string, (result: unknown) => void> = {
  "auth.logout": () => {},
  "auth.whoami": (r) => expect(r).toEqual({ authId: "none@pbs", via: "session" }),
  "auth.permissions": (r) => expect(r).toMatchObject({ privileges: [] }),
  "datastore.list": (r) => expect(r).toEqual([]),
  "datastore.usage": (r) => expect(r).toEqual([]),
  "job.failures": (r) => expect(r).toEqual([]),
  "task.list": (r) => expect(r).toMatchObject({ data: [] }),
  "account.sessions": (r) => expect(r).toEqual([]),
  "account.logoutEverywhere": (r) => expect(r).toEqual({ ok: true }),
};

/**
 * Self-service procedures that refuse the test input for a reason of their own, not a
 * privilege: someone else's session id is unknown to the caller.
 */
const OWN_ONLY_REFUSALS: Record<string, string> = {
  "account.endSession": "NOT_FOUND",
};

type AnyCaller = Record<string, Record<string, (input?: unknown) => Promise<unknown>>>;

async function outcome(authId: string | undefined, name: string): Promise<{ code?: string; message?: string; result?: unknown }> {
  const [noun, proc] = name.split(".") as [string, string];
  const call = callerAs(authId) as unknown as AnyCaller;
  try {
    const result = await call[noun]![proc]!(INPUTS[name]);
    // A subscription answers with a stream; its checks ran before the stream started.
    if (result && typeof (result as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function") {
      await (result as AsyncGenerator).return?.(undefined);
    }
    return { result };
  } catch (err) {
    const e = err as { code?: string; message?: string };
    return { code: e.code, message: e.message };
  }
}

describe("every procedure refuses callers without the privilege", () => {
  beforeAll(async () => {
    await createUser("admin@pbs", { password: "admin-secret" });
    await grantRole({ path: "/", authId: "admin@pbs", role: "Admin" });
    await createUser("none@pbs", { password: "none-secret" });
    // NoAccess on / masks everything, as having no entry at all does.
    await createUser("masked@pbs", { password: "masked-secret" });
    await grantRole({ path: "/", authId: "masked@pbs", role: "NoAccess" });
  });

  it("has a test input for every procedure", () => {
    expect(procedures.map(([name]) => name).filter((name) => !(name in INPUTS))).toEqual([]);
  });

  it.each(procedures.filter(([name]) => name !== "auth.login").map(([name]) => [name] as const))(
    "%s: anonymous gets UNAUTHORIZED",
    async (name) => {
      expect(await outcome(undefined, name)).toMatchObject({ code: "UNAUTHORIZED" });
    },
  );

  it.each(procedures.filter(([name]) => name !== "auth.login").map(([name]) => [name] as const))(
    "%s: a user without privileges gets FORBIDDEN or only their own",
    async (name) => {
      for (const user of ["none@pbs", "masked@pbs"]) {
        const got = await outcome(user, name);
        const own = SELF_SERVICE[name];
        const refusal = OWN_ONLY_REFUSALS[name];
        if (refusal) {
          expect(got.code, `${user}: ${got.message}`).toBe(refusal);
        } else if (own) {
          expect(got.code, `${user}: ${got.message}`).toBeUndefined();
          if (name !== "auth.whoami" || user === "none@pbs") own(got.result);
        } else {
          expect(got, user).toMatchObject({ code: "FORBIDDEN" });
          expect(got.message).toMatch(/permission check failed|cannot|owner check failed/);
        }
      }
    },
  );

  it.each(procedures.map(([name]) => [name] as const))("%s: refuses a smuggled input field before any check or work", async (name) => {
    const input = (INPUTS[name] ?? {}) as Record<string, unknown>;
    // The red team's trick: an `ns` the procedure does not take, which a check on the raw
    // input would have read (and any other unknown key).
    const smuggled: Record<string, unknown>[] = [{ ...input, smuggled: "x" }];
    if (!("ns" in input)) smuggled.push({ ...input, ns: "prod" });
    for (const nested of ["group", "snapshot", "keep"]) {
      if (typeof input[nested] === "object") smuggled.push({ ...input, [nested]: { ...(input[nested] as object), ns: "prod" } });
    }
    for (const bad of smuggled) {
      const [noun, proc] = name.split(".") as [string, string];
      const call = callerAs("admin@pbs") as unknown as AnyCaller;
      let got: { code?: string; message?: string } = {};
      try {
        const result = await call[noun]![proc]!(bad);
        if (result && typeof (result as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function") await (result as AsyncGenerator).return?.(undefined);
      } catch (err) {
        got = err as { code?: string; message?: string };
      }
      expect(got.code, `${JSON.stringify(bad)}: ${got.message}`).toBe("BAD_REQUEST");
      expect(got.message).toMatch(/nrecognized key/);
    }
  });

  it("lets anybody try to log in, and nobody in with a wrong password", async () => {
    expect(await outcome(undefined, "auth.login")).toMatchObject({ code: "UNAUTHORIZED", message: "authentication failed" });
  });
});

describe("owner-limited callers on someone else's group", () => {
  beforeAll(async () => {
    // Backup and Prune on the whole store, no Audit or Modify: only their own groups.
    await createUser("poweruser@pbs", { password: "poweruser-secret" });
    await grantRole({ path: "/datastore/demo", authId: "poweruser@pbs", role: "DatastorePowerUser" });
  });

  const named = procedures
    .map(([name]) => name)
    .filter((name) => {
      const input = INPUTS[name] as Record<string, unknown> | undefined;
      return input !== undefined && ("group" in input || "snapshot" in input);
    });

  it("covers every procedure that names a group or a snapshot", () => {
    expect(named.length).toBeGreaterThanOrEqual(13);
  });

  it("verify.start of someone else's group or snapshot: refused with PBS's owner check", async () => {
    for (const input of [
      { store: "demo", ns: "", group },
      { store: "demo", ns: "", snapshot },
    ]) {
      await expect(callerAs("poweruser@pbs").verify.start(input)).rejects.toMatchObject({
        code: "FORBIDDEN",
        message: "backup owner check failed (poweruser@pbs != root@pam)",
      });
    }
  });

  it.each(named.map((n) => [n] as const))("%s: refused with PBS's owner check (vm/100 is root@pam's)", async (name) => {
    const [noun, proc] = name.split(".") as [string, string];
    const call = callerAs("poweruser@pbs") as unknown as AnyCaller;
    let got: { code?: string; message?: string } = {};
    try {
      await call[noun]![proc]!(INPUTS[name]);
    } catch (err) {
      got = err as { code?: string; message?: string };
    }
    expect(got, name).toMatchObject({ code: "FORBIDDEN", message: "backup owner check failed (poweruser@pbs != root@pam)" });
  });
});

describe("the red team's authorisation bypass (issue 9.3)", () => {
  beforeAll(async () => {
    await createUser("devadmin@pbs", { password: "devadmin-secret" });
    await grantRole({ path: "/datastore/demo/dev", authId: "devadmin@pbs", role: "DatastoreAdmin" });
  });

  it("cannot create a root-level namespace by adding an `ns` it may write", async () => {
    const call = callerAs("devadmin@pbs");
    const smuggled = { store: "demo", parent: "", name: "x", ns: "dev/x" } as unknown as Parameters<typeof call.namespace.create>[0];
    await expect(call.namespace.create(smuggled)).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(call.namespace.create({ store: "demo", parent: "", name: "x" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    const all = await callerAs("admin@pbs").namespace.list({ store: "demo", parent: "" });
    expect(all.map((n) => n.ns)).not.toContain("x");
    // Where it may, it still can.
    await expect(call.namespace.create({ store: "demo", parent: "dev", name: "x" })).resolves.toEqual({ ns: "dev/x" });
  });

  it("cannot probe namespace.list with a smuggled `ns`", async () => {
    const call = callerAs("devadmin@pbs");
    const probe = { store: "demo", parent: "prod", ns: "dev" } as unknown as Parameters<typeof call.namespace.list>[0];
    await expect(call.namespace.list(probe)).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(call.namespace.list({ store: "demo", parent: "prod" })).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});
