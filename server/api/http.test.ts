/**
 * The API over HTTP, as the browser and scripts reach it (the route handler's function, no
 * server): login sets the cookie, the cookie authenticates, cross-site mutations are refused
 * (CSRF) while cross-site reads are not, and API tokens work from scripts that send no Origin.
 */
import { beforeAll, describe, expect, it, vi } from "vitest";
import { createToken, createUser, grantRole } from "../auth";
import { handleTrpcRequest } from "./http-handler";
import { useDemoHome } from "./test-support";

useDemoHome();

const BASE = "http://console.local";
const SAME = { host: "console.local", origin: BASE, "content-type": "application/json" };

function post(procedure: string, input: unknown, headers: Record<string, string>) {
  return handleTrpcRequest(new Request(`${BASE}/api/trpc/${procedure}`, { method: "POST", headers, body: JSON.stringify(input) }));
}

function get(procedure: string, input: unknown, headers: Record<string, string>) {
  const q = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`;
  return handleTrpcRequest(new Request(`${BASE}/api/trpc/${procedure}${q}`, { headers }));
}

async function login(): Promise<string> {
  const res = await post("auth.login", { username: "admin@pbs", password: "admin-secret" }, SAME);
  expect(res.status).toBe(200);
  const setCookie = res.headers.get("set-cookie")!;
  expect(setCookie).toMatch(/^CofferAuthCookie=v1\..*; HttpOnly; SameSite=Strict/);
  return setCookie.split(";")[0]!;
}

beforeAll(async () => {
  await createUser("admin@pbs", { password: "admin-secret" });
  await grantRole({ path: "/", authId: "admin@pbs", role: "Admin" });
});

describe("the API over HTTP", () => {
  it("refuses anonymous calls with 401 and answers a logged-in browser", async () => {
    expect((await get("datastore.list", undefined, { host: "console.local" })).status).toBe(401);
    const cookie = await login();
    const res = await get("auth.whoami", undefined, { host: "console.local", cookie });
    expect((await res.json()).result.data).toEqual({ authId: "admin@pbs", via: "session" });
  });

  it("refuses cross-site mutations (and logins) but answers cross-site reads", async () => {
    const cookie = await login();
    const evil = { host: "console.local", origin: "https://evil.example", cookie, "content-type": "application/json" };
    const res = await post("user.update", { userid: "admin@pbs", comment: "pwned" }, evil);
    expect(res.status).toBe(403);
    expect((await res.json()).error.message).toBe("cross-site request refused: origin 'https://evil.example' is not this host");
    const bare = await post("user.update", { userid: "admin@pbs", comment: "pwned" }, { host: "console.local", cookie, "content-type": "application/json" });
    expect(bare.status).toBe(403);
    const site = await post("user.update", { userid: "admin@pbs", comment: "x" }, { host: "console.local", cookie, "sec-fetch-site": "cross-site", "content-type": "application/json" });
    expect(site.status).toBe(403);
    const loginCsrf = await post("auth.login", { username: "admin@pbs", password: "admin-secret" }, { ...evil, cookie: "" });
    expect(loginCsrf.status).toBe(403);
    expect(loginCsrf.headers.get("set-cookie")).toBeNull();
    // Reads: the browser keeps the answer from the other site anyway.
    expect((await get("auth.whoami", undefined, evil)).status).toBe(200);
    // The same mutation from the console itself goes through.
    expect((await post("user.update", { userid: "admin@pbs", comment: "ok" }, { ...SAME, cookie })).status).toBe(200);
  });

  it("accepts an API token from a script without Origin, and refuses a wrong secret", async () => {
    const { tokenid, secret } = await createToken("admin@pbs", "script");
    await grantRole({ path: "/", authId: tokenid, role: "Admin" });
    const auth = { host: "console.local", authorization: `PBSAPIToken=${tokenid}:${secret}`, "content-type": "application/json" };
    const res = await post("namespace.create", { store: "demo", parent: "", name: "from-script" }, auth);
    expect(res.status).toBe(200);
    expect((await get("auth.whoami", undefined, auth).then((r) => r.json())).result.data).toEqual({ authId: tokenid, via: "token" });
    const bad = await get("datastore.list", undefined, { ...auth, authorization: `PBSAPIToken=${tokenid}:nope` });
    expect(bad.status).toBe(401);
    expect((await bad.json()).error.message).toBe("authentication failed - invalid API token");
  });

  it("logs out: the cookie is cleared and the old session no longer works", async () => {
    const cookie = await login();
    const res = await post("auth.logout", {}, { ...SAME, cookie });
    expect(res.status).toBe(200);
    expect(res.headers.get("set-cookie")).toBe("CofferAuthCookie=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    const after = await get("auth.whoami", undefined, { host: "console.local", cookie });
    expect(after.status).toBe(401);
  });

  it("My account over HTTP: a new password gives this browser a new cookie, the old one ends; rules read as one line", async () => {
    const cookie = await login();
    const short = await post("account.changePassword", { currentPassword: "admin-secret", newPassword: "abc" }, { ...SAME, cookie });
    expect(short.status).toBe(400);
    expect((await short.json()).error.message).toBe("newPassword: too short: use 5 to 64 characters");
    const res = await post("account.changePassword", { currentPassword: "admin-secret", newPassword: "admin-secret-2" }, { ...SAME, cookie });
    expect(res.status).toBe(200);
    const fresh = res.headers.get("set-cookie")!.split(";")[0]!;
    expect(fresh).not.toBe(cookie);
    expect((await get("auth.whoami", undefined, { host: "console.local", cookie })).status).toBe(401);
    expect((await get("auth.whoami", undefined, { host: "console.local", cookie: fresh })).status).toBe(200);
    const back = await post("account.changePassword", { currentPassword: "admin-secret-2", newPassword: "admin-secret" }, { ...SAME, cookie: fresh });
    expect(back.status).toBe(200);
  });

  it("records when a session's cookie was renewed, for My account", async () => {
    const cookie = await login();
    const listed = async (c: string) => {
      const res = await get("account.sessions", undefined, { host: "console.local", cookie: c });
      return { res, sessions: (await res.json()).result.data as { current: boolean; login: number; renewed: number }[] };
    };
    const before = (await listed(cookie)).sessions.find((x) => x.current)!;
    expect(before.renewed).toBe(before.login);
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 5 * 60_000 });
    try {
      const later = Date.now();
      const { res } = await listed(cookie);
      // The renewal goes out as a new cookie, and the server notes it before answering.
      const renewed = res.headers.get("set-cookie")!.split(";")[0]!;
      const after = (await listed(renewed)).sessions.find((x) => x.current)!;
      expect(after.login).toBe(before.login);
      expect(after.renewed).toBe(later);
    } finally {
      vi.useRealTimers();
    }
  });
});
