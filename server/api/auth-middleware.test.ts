/**
 * The auth middleware on a small router of its own (the real routers' checks are the same
 * declarations): callers from token headers and session cookies, same-origin, ACL paths from
 * the parsed input, owner limits, and the move rule's target side. Real auth files in a temporary
 * COFFER_HOME.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createSession, createToken, createUser, grantRole, SESSION_RENEW_AFTER_MS, type Role } from "../auth";
import { useAuthHome } from "../auth/test-support";
import { LOCAL_CALLER, accessInputOf, createAuthenticate, createAuthorize, resolveCaller, sessionSetCookie, type Caller } from "./auth-middleware";
import { baseProcedure, createCallerFactory, noInput, router, type Access, type Context } from "./init";

useAuthHome();

const authenticated = baseProcedure.use(createAuthenticate());
const authorize = createAuthorize();
/** As init.ts's `procedure`: authenticate, strict input, then authorise on the parsed input. */
const authed = <I extends z.ZodType>(access: Access, input: I) => authenticated.meta({ access }).input(input).use(authorize);
const OWNERS = ["alice@pbs", "bob@pbs", "bob@pbs!tok"];

const testRouter = router({
  open: authed({ path: "public", privileges: [] }, noInput).query(({ ctx }) => ctx.auth.authId ?? "anonymous"),
  whoami: authed({ path: "authenticated", privileges: [] }, noInput).query(({ ctx }) => ctx.auth.authId),
  groups: authed(
    { path: "ns", privileges: ["Datastore.Audit"], ownerPrivileges: ["Datastore.Backup"] },
    z.strictObject({ store: z.string(), ns: z.string().default("") }),
  ).query(({ ctx }) => OWNERS.filter((o) => ctx.auth.owns(o))),
  createNs: authed(
    { path: "ns-parent", privileges: ["Datastore.Modify"] },
    z.strictObject({ store: z.string(), parent: z.string(), name: z.string() }),
  ).mutation(() => "created"),
  // Not strict, on purpose: even where a schema drops unknown keys, the check sees only parsed ones.
  lenientCreateNs: authed(
    { path: "ns-parent", privileges: ["Datastore.Modify"] },
    z.object({ store: z.string(), parent: z.string(), name: z.string() }),
  ).mutation(() => "created"),
  moveGroup: authed(
    { path: "ns", privileges: ["Datastore.Modify"], ownerPrivileges: ["Datastore.Prune"] },
    z.strictObject({ store: z.string(), ns: z.string(), targetNs: z.string(), groupOwner: z.string() }),
  ).mutation(({ ctx, input }) => {
    ctx.auth.checkOwner(input.groupOwner); // the router reads the owner from the store
    return "moved";
  }),
  undeclared: authenticated.use(authorize).query(() => "should never run"),
});

const call = (ctx: Context & { caller?: Caller }) => createCallerFactory(testRouter)(ctx);
const SAME = { host: "console.local", origin: "http://console.local" };

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error("expected a failure");
}

async function users(grants: Array<[string, string, Role]>) {
  for (const u of ["alice@pbs", "bob@pbs", "carol@pbs"]) await createUser(u);
  for (const [path, authId, role] of grants) await grantRole({ path, authId, role });
}

describe("auth middleware", () => {
  it("resolves callers from token headers and session cookies, anonymous otherwise", async () => {
    await users([]);
    const { tokenid, secret } = await createToken("bob@pbs", "tok");
    await grantRole({ path: "/", authId: tokenid, role: "Audit" });
    const viaToken = call({ headers: new Headers({ ...SAME, authorization: `PBSAPIToken=${tokenid}:${secret}` }) });
    expect(await viaToken.whoami()).toBe("bob@pbs!tok");
    const session = await createSession("alice@pbs");
    expect(await call({ headers: new Headers({ ...SAME, cookie: `CofferAuthCookie=${session}` }) }).whoami()).toBe("alice@pbs");
    expect(await call({ headers: new Headers(SAME) }).open()).toBe("anonymous");
    expect(await failure(call({ headers: new Headers(SAME) }).whoami())).toMatchObject({ code: "UNAUTHORIZED" });
    const badToken = call({ headers: new Headers({ ...SAME, authorization: `PBSAPIToken=${tokenid}:wrong` }) });
    expect(await failure(badToken.whoami())).toMatchObject({ code: "UNAUTHORIZED", message: "authentication failed - invalid API token" });
    expect(await call({ caller: LOCAL_CALLER }).whoami()).toBe("root@pam");
    // Without HTTP and without a caller: nobody.
    expect((await failure(call({}).whoami())).code).toBe("UNAUTHORIZED");
  });

  it("refuses a procedure without an access declaration", async () => {
    expect(await failure(call({ caller: LOCAL_CALLER }).undeclared())).toMatchObject({
      code: "INTERNAL_SERVER_ERROR",
      message: "procedure 'undeclared' declares no access",
    });
  });

  it("checks the namespace path of the input and limits owner-only callers to their groups", async () => {
    await users([
      ["/datastore/st1", "alice@pbs", "DatastoreAudit"],
      ["/datastore/st1/team", "bob@pbs", "DatastoreBackup"],
    ]);
    const alice = call({ caller: { authId: "alice@pbs", via: "local" } });
    const bob = call({ caller: { authId: "bob@pbs", via: "local" } });
    expect(await alice.groups({ store: "st1", ns: "team" })).toEqual(OWNERS);
    expect(await bob.groups({ store: "st1", ns: "team" })).toEqual(["bob@pbs", "bob@pbs!tok"]);
    expect(await failure(bob.groups({ store: "st1" }))).toMatchObject({
      code: "FORBIDDEN",
      message: "permission check failed - missing Datastore.Audit|Datastore.Backup on /datastore/st1",
    });
  });

  it("checks the parent for a namespace created from parent + name", async () => {
    await users([["/datastore/st1/a", "bob@pbs", "DatastoreAdmin"]]);
    const bob = call({ caller: { authId: "bob@pbs", via: "local" } });
    expect(await bob.createNs({ store: "st1", parent: "a", name: "b" })).toBe("created");
    expect((await failure(bob.createNs({ store: "st1", parent: "", name: "x" }))).message).toBe(
      "permission check failed - missing Datastore.Modify on /datastore/st1",
    );
    expect((await failure(bob.createNs({ store: "st1", parent: "", name: "a/b" }))).code).toBe("BAD_REQUEST");
  });

  it("authorises on the parsed input: a smuggled `ns` is refused, or dropped before the check", async () => {
    // The red team's call: DatastoreAdmin on /datastore/st1/dev only, creating a root namespace.
    await users([["/datastore/st1/dev", "bob@pbs", "DatastoreAdmin"]]);
    const bob = call({ caller: { authId: "bob@pbs", via: "local" } });
    const smuggled = { store: "st1", parent: "", name: "x", ns: "dev/x" } as never;
    expect(await failure(bob.createNs(smuggled))).toMatchObject({ code: "BAD_REQUEST" });
    expect(await failure(bob.lenientCreateNs(smuggled))).toMatchObject({
      code: "FORBIDDEN",
      message: "permission check failed - missing Datastore.Modify on /datastore/st1",
    });
  });

  it("applies the move rule to the target namespace, with ownership when limited", async () => {
    await users([
      ["/datastore/st1/src", "bob@pbs", "DatastorePowerUser"],
      ["/datastore/st1/dst", "bob@pbs", "DatastoreBackup"],
      ["/datastore/st1/ro", "bob@pbs", "DatastoreReader"],
      ["/datastore/st1", "alice@pbs", "DatastoreAdmin"],
    ]);
    const bob = call({ caller: { authId: "bob@pbs", via: "local" } });
    const move = { store: "st1", ns: "src", targetNs: "dst" };
    expect(await bob.moveGroup({ ...move, groupOwner: "bob@pbs" })).toBe("moved");
    expect((await failure(bob.moveGroup({ ...move, groupOwner: "carol@pbs" }))).message).toBe(
      "backup owner check failed (bob@pbs != carol@pbs)",
    );
    expect((await failure(bob.moveGroup({ ...move, targetNs: "ro", groupOwner: "bob@pbs" }))).message).toBe(
      "permission check failed - missing Datastore.Modify|Datastore.Backup on /datastore/st1/ro",
    );
    const alice = call({ caller: { authId: "alice@pbs", via: "local" } });
    expect(await alice.moveGroup({ ...move, groupOwner: "carol@pbs" })).toBe("moved");
  });

  it("refuses cross-site mutations but not cross-site reads", async () => {
    await users([["/", "alice@pbs", "Admin"]]);
    const session = await createSession("alice@pbs");
    const evil = call({ headers: new Headers({ host: "console.local", origin: "https://evil.example", cookie: `CofferAuthCookie=${session}` }) });
    expect(await failure(evil.createNs({ store: "st1", parent: "", name: "x" }))).toMatchObject({
      code: "FORBIDDEN",
      message: "cross-site request refused: origin 'https://evil.example' is not this host",
    });
    expect(await evil.whoami()).toBe("alice@pbs");
  });

  it("hands the route handler a renewed cookie, or one that clears a dead session", async () => {
    await users([]);
    const t0 = Date.now();
    const session = await createSession("alice@pbs", { now: t0 - SESSION_RENEW_AFTER_MS });
    const req = new Request("https://console.local/api/trpc/x", { headers: { cookie: `CofferAuthCookie=${session}` } });
    const caller = resolveCaller(req.headers, t0);
    expect(caller.renewedToken).toBeDefined();
    expect(sessionSetCookie(caller, req)).toMatch(/^CofferAuthCookie=v1\..*; Secure$/);
    const dead = resolveCaller(new Headers({ cookie: "CofferAuthCookie=v1.bad.sig" }));
    expect(dead).toEqual({ via: "none", clearCookie: true });
    expect(sessionSetCookie(dead, new Request("http://console.local/"))).toBe(
      "CofferAuthCookie=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0",
    );
  });

  it("reads store and namespace from parsed inputs of every shape, never the owner", () => {
    expect(accessInputOf({ store: "st1", ns: "a", owner: "x@pbs" })).toEqual({ store: "st1", ns: "a" });
    expect(accessInputOf({ store: "st1", parent: "a" })).toEqual({ store: "st1", ns: "a" });
    expect(accessInputOf({ store: "st1", parent: "", name: "b" })).toEqual({ store: "st1", ns: "b" });
    expect(accessInputOf({ store: "st1", ns: "a", targetNs: "b" })).toEqual({ store: "st1", ns: "a", targetNs: "b" });
    expect(accessInputOf(undefined)).toEqual({});
    expect(() => accessInputOf({ store: "st1", ns: "a", parent: "b" })).toThrow(/both 'ns' and 'parent'/);
  });
});
