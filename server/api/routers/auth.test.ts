/**
 * Login, users, tokens and the ACL through createCaller (the cookie box stands in for the route
 * handler), and the owner limits of the content routers for a user with only Backup and Prune.
 * Real auth files and the demo store in a temporary COFFER_HOME.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { createUser, grantRole, verifySession, verifyTokenHeader } from "../../auth";
import { createInnerContext, type CookieBox } from "../init";
import { createCaller } from "../root";
import { caller, callerAs, useDemoHome } from "../test-support";
import { waitForTask } from "./content-test-support";

useDemoHome();

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error("expected a failure");
}

function loginCaller(box: CookieBox, clientAddress = "10.0.0.1") {
  return createCaller(createInnerContext({ caller: { via: "none" }, cookie: box, secure: false, clientAddress }));
}

beforeAll(async () => {
  await createUser("admin@pbs", { password: "admin-secret" });
  await grantRole({ path: "/", authId: "admin@pbs", role: "Admin" });
  await createUser("alice@pbs", { password: "alice-secret" });
  await createUser("backup@pbs", { password: "backup-secret" });
  await grantRole({ path: "/datastore/demo", authId: "backup@pbs", role: "DatastorePowerUser" });
});

describe("auth", () => {
  it("logs in with the right password and sets an HttpOnly SameSite=Strict session cookie", async () => {
    const box: CookieBox = {};
    expect(await loginCaller(box).auth.login({ username: "alice@pbs", password: "alice-secret" })).toEqual({ authId: "alice@pbs" });
    expect(box.value).toMatch(/^CofferAuthCookie=v1\.[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=7200$/);
    const token = /^CofferAuthCookie=([^;]+)/.exec(box.value!)![1]!;
    expect(verifySession(token).authId).toBe("alice@pbs");
  });

  it("answers a wrong password and an unknown user alike, then throttles", async () => {
    const box: CookieBox = {};
    const call = loginCaller(box, "10.0.0.2");
    const wrong = await failure(call.auth.login({ username: "alice@pbs", password: "nope" }));
    const unknown = await failure(call.auth.login({ username: "mallory@pbs", password: "nope" }));
    expect(wrong).toMatchObject({ code: "UNAUTHORIZED", message: "authentication failed" });
    expect(unknown).toMatchObject({ code: "UNAUTHORIZED", message: "authentication failed" });
    await failure(call.auth.login({ username: "alice@pbs", password: "nope" }));
    await failure(call.auth.login({ username: "alice@pbs", password: "nope" }));
    const throttled = await failure(call.auth.login({ username: "alice@pbs", password: "alice-secret" }));
    expect(throttled).toMatchObject({ code: "TOO_MANY_REQUESTS" });
    expect(throttled.message).toMatch(/^too many failed login attempts - try again in \d+ s$/);
    expect(box.value).toBeUndefined();
  });

  it("says who is calling and what they may do on a path", async () => {
    expect(await callerAs("backup@pbs").auth.whoami()).toEqual({ authId: "backup@pbs", via: "session" });
    expect(await callerAs("backup@pbs").auth.permissions({ path: "/datastore/demo/prod" })).toEqual({
      authId: "backup@pbs",
      path: "/datastore/demo/prod",
      privileges: ["Datastore.Backup", "Datastore.Prune"],
    });
    expect((await failure(callerAs("backup@pbs").auth.permissions({ path: "/nowhere" }))).code).toBe("BAD_REQUEST");
    expect((await failure(callerAs(undefined).auth.whoami())).code).toBe("UNAUTHORIZED");
  });

  it("logs out: clears the cookie", async () => {
    const box: CookieBox = {};
    const call = createCaller(createInnerContext({ caller: { authId: "alice@pbs", via: "session" }, cookie: box, secure: true }));
    expect(await call.auth.logout()).toEqual({ ok: true });
    expect(box.value).toBe("CofferAuthCookie=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure");
  });
});

describe("users", () => {
  it("creates, lists, updates and deletes users as an admin", async () => {
    const admin = callerAs("admin@pbs");
    expect(await admin.user.create({ userid: "carol@pbs", password: "carol-secret", comment: "ops" })).toMatchObject({
      userid: "carol@pbs",
      enable: true,
    });
    expect((await admin.user.list()).map((u) => u.userid)).toContain("carol@pbs");
    expect(JSON.stringify(await admin.user.list())).not.toContain("hash");
    expect(await admin.user.update({ userid: "carol@pbs", enable: false })).toMatchObject({ enable: false });
    expect((await failure(admin.user.create({ userid: "carol@pbs" }))).code).toBe("CONFLICT");
    expect((await failure(admin.user.create({ userid: "carol@pam" }))).code).toBe("BAD_REQUEST");
    await admin.user.delete({ userid: "carol@pbs" });
    expect((await failure(admin.user.delete({ userid: "carol@pbs" }))).code).toBe("NOT_FOUND");
    expect((await failure(admin.user.delete({ userid: "admin@pbs" }))).message).toBe("you cannot delete the user you are logged in as");
  });

  it("sets passwords only for someone with Permissions.Modify, and never one's own without the current one", async () => {
    expect((await failure(callerAs("alice@pbs").user.setPassword({ userid: "alice@pbs", password: "alice-secret2" }))).message).toBe(
      "permission check failed - missing Permissions.Modify on /access/users",
    );
    expect((await failure(callerAs("alice@pbs").user.setPassword({ userid: "backup@pbs", password: "whatever1" }))).message).toBe(
      "permission check failed - missing Permissions.Modify on /access/users",
    );
    expect((await failure(callerAs("admin@pbs").user.setPassword({ userid: "admin@pbs", password: "admin-secret2" }))).message).toBe(
      "cannot set your own password here: change it in My account, which asks for the current one",
    );
    const short = await failure(callerAs("admin@pbs").user.setPassword({ userid: "alice@pbs", password: "abc" }));
    expect(short.code).toBe("BAD_REQUEST");
    expect(short.message).toContain("too short: use 5 to 64 characters");
    await callerAs("admin@pbs").user.setPassword({ userid: "alice@pbs", password: "alice-secret" });
  });
});

describe("tokens", () => {
  it("creates a token whose secret works once shown, lists it without the secret, and revokes it", async () => {
    const alice = callerAs("alice@pbs");
    const { tokenid, secret } = await alice.token.create({ name: "ci", comment: "nightly" });
    expect(tokenid).toBe("alice@pbs!ci");
    expect(verifyTokenHeader(`PBSAPIToken=${tokenid}:${secret}`).authId).toBe(tokenid);
    const listed = await alice.token.list({});
    expect(listed).toEqual([{ tokenid, enable: true, expire: 0, comment: "nightly" }]);
    expect(JSON.stringify(listed)).not.toContain(secret);
    expect((await failure(alice.token.create({ name: "ci" }))).code).toBe("CONFLICT");
    await alice.token.revoke({ tokenid });
    expect(() => verifyTokenHeader(`PBSAPIToken=${tokenid}:${secret}`)).toThrow("invalid API token");
    expect((await failure(alice.token.revoke({ tokenid }))).code).toBe("NOT_FOUND");
  });

  it("keeps users out of other users' tokens, and tokens out of token management", async () => {
    const { tokenid } = await callerAs("admin@pbs").token.create({ userid: "backup@pbs", name: "job" });
    expect((await callerAs("admin@pbs").token.list({ all: true })).map((t) => t.tokenid)).toContain(tokenid);
    expect((await failure(callerAs("alice@pbs").token.revoke({ tokenid }))).code).toBe("FORBIDDEN");
    expect((await failure(callerAs("alice@pbs").token.list({ all: true }))).code).toBe("FORBIDDEN");
    expect((await failure(callerAs(tokenid).token.create({ name: "x" }))).message).toBe("API tokens cannot manage API tokens");
    expect(await callerAs("backup@pbs").token.list({})).toMatchObject([{ tokenid }]);
    await callerAs("backup@pbs").token.revoke({ tokenid });
  });
});

describe("acl", () => {
  it("grants and removes roles, which take effect at once", async () => {
    const admin = callerAs("admin@pbs");
    expect((await failure(callerAs("alice@pbs").group.list({ store: "demo", ns: "" }))).code).toBe("FORBIDDEN");
    await admin.acl.update({ path: "/datastore/demo", authId: "alice@pbs", role: "DatastoreReader" });
    const { acl, roles } = await admin.acl.list();
    expect(acl).toContainEqual({ path: "/datastore/demo", "auth-id": "alice@pbs", role: "DatastoreReader", propagate: true });
    expect(roles.find((r) => r.name === "DatastoreReader")?.privileges).toEqual(["Datastore.Audit", "Datastore.Verify", "Datastore.Read"]);
    expect((await callerAs("alice@pbs").group.list({ store: "demo", ns: "" })).total).toBe(3);
    expect(
      (
        await failure(
          callerAs("alice@pbs").move.planGroup({ store: "demo", ns: "", group: { type: "vm", id: "100" }, targetNs: "archive" }),
        )
      ).message,
    ).toBe("permission check failed - missing Datastore.Modify|Datastore.Prune on /datastore/demo");
    await admin.acl.update({ path: "/datastore/demo", authId: "alice@pbs", role: "DatastoreReader", delete: true });
    expect((await failure(callerAs("alice@pbs").group.list({ store: "demo", ns: "" }))).code).toBe("FORBIDDEN");
    expect((await failure(admin.acl.update({ path: "/bogus", authId: "alice@pbs", role: "Admin" }))).code).toBe("BAD_REQUEST");
    expect((await failure(admin.acl.update({ path: "/", authId: "ghost@pbs", role: "Admin" }))).code).toBe("NOT_FOUND");
    expect((await failure(callerAs("alice@pbs").acl.update({ path: "/", authId: "alice@pbs", role: "Admin" }))).code).toBe("FORBIDDEN");
  });
});

describe("owner limits (Backup / Prune only)", () => {
  const backup = () => callerAs("backup@pbs");
  const ct210 = { type: "ct", id: "210" } as const;
  const vm200 = { type: "vm", id: "200" } as const;

  it("lists only own groups and refuses someone else's", async () => {
    const page = await backup().group.list({ store: "demo", ns: "prod" });
    expect(page.items.map((g) => `${g["backup-type"]}/${g["backup-id"]}`)).toEqual(["ct/210"]);
    expect(page.total).toBe(1);
    expect(await backup().group.notes({ store: "demo", ns: "prod", group: ct210 })).toBeDefined();
    expect((await failure(backup().group.notes({ store: "demo", ns: "prod", group: vm200 }))).message).toBe(
      "backup owner check failed (backup@pbs != root@pam)",
    );
    expect((await failure(backup().snapshot.list({ store: "demo", ns: "prod", group: vm200 }))).code).toBe("FORBIDDEN");
    expect((await backup().snapshot.list({ store: "demo", ns: "prod", group: ct210 })).total).toBe(3);
    expect((await failure(backup().group.setOwner({ store: "demo", ns: "prod", group: ct210, owner: "alice@pbs" }))).code).toBe(
      "FORBIDDEN",
    );
    // The datastore list shows the store (Backup on it); tasks only their own.
    expect((await backup().datastore.list()).map((d) => d.name)).toEqual(["demo"]);
  });

  it("sees in the datastore status only the counts of own groups, no GC status and no one else's verify", async () => {
    const { upid } = await caller().verify.start({ store: "demo", ns: "dev" });
    await waitForTask(upid);
    const all = await caller().datastore.status({ store: "demo" });
    const own = await backup().datastore.status({ store: "demo" });
    expect(all.lastVerify?.upid).toBe(upid);
    expect(all["gc-status"]).toBeDefined();
    expect(own.lastVerify).toBeUndefined();
    expect(own["gc-status"]).toBeUndefined();
    // What backup@pbs owns (its own and its token's groups, PBS's owner rule), counted by hand.
    const expected = { vm: { groups: 0, snapshots: 0 }, ct: { groups: 0, snapshots: 0 }, host: { groups: 0, snapshots: 0 } };
    for (const n of await caller().namespace.list({ store: "demo", parent: "" })) {
      for (const g of (await caller().group.list({ store: "demo", ns: n.ns, limit: 1000 })).items) {
        if (g["backup-count"] === 0 || !["backup@pbs", "backup@pbs!nightly"].includes(g.owner ?? "")) continue;
        expected[g["backup-type"]].groups++;
        expected[g["backup-type"]].snapshots += g["backup-count"];
      }
    }
    expect(expected.vm.groups + expected.ct.groups + expected.host.groups).toBeGreaterThan(1);
    expect(own.counts).toEqual(expected);
    expect(all.counts!.vm.groups).toBeGreaterThan(expected.vm.groups);
  });

  it("moves an own group with Prune + Backup, refuses others' groups and namespace moves, and runs the task as the caller", async () => {
    expect((await failure(backup().move.planGroup({ store: "demo", ns: "prod", group: vm200, targetNs: "archive" }))).message).toBe(
      "backup owner check failed (backup@pbs != root@pam)",
    );
    expect((await failure(backup().move.startNamespace({ store: "demo", ns: "dev", targetNs: "archive/dev" }))).message).toBe(
      "permission check failed - missing Datastore.Modify on /datastore/demo",
    );
    const { upid } = await backup().move.startGroup({ store: "demo", ns: "prod", group: ct210, targetNs: "archive" });
    expect(upid).toMatch(/:backup@pbs:$/);
    expect((await waitForTask(upid)).exitstatus).toBe("OK");
    const mine = await backup().task.list({});
    expect(mine.data.map((t) => t.user)).toEqual(["backup@pbs"]);
    expect(await backup().task.status({ upid })).toMatchObject({ status: "stopped" });
    // root@pam (the CLI) sees it too, and others' tasks stay hidden from backup@pbs.
    const { upid: rootTask } = await caller().move.startGroup({ store: "demo", ns: "archive", group: ct210, targetNs: "prod" });
    await waitForTask(rootTask);
    expect((await failure(backup().task.log({ upid: rootTask }))).message).toBe(
      "permission check failed - missing Sys.Audit on /system/tasks",
    );
    expect((await failure(backup().task.stop({ upid: rootTask }))).code).toBe("FORBIDDEN");
    expect((await caller().task.list({})).data.map((t) => t.upid)).toEqual(expect.arrayContaining([upid, rootTask]));
  });
});
