/**
 * Red-team regression (issue 9.1): 40 concurrent logins with made-up names used to keep an
 * admin's listing waiting 28 s, because every login ran scrypt on the thread pool that file
 * reads wait for. Now hashes run in their own small pool with a bounded queue: a flood gets 429
 * with Retry-After for what does not fit, and a listing started during the flood finishes while
 * the flood's hashes are still running.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createToken, createUser, grantRole, hashPool } from "../auth";
import { handleTrpcRequest, MAX_BATCH } from "./http-handler";
import { CLIENT_ADDRESS_HEADER, FRONT_DOOR_MARK } from "./init";
import { useDemoHome } from "./test-support";

useDemoHome();

const BASE = "http://console.local";
let tokenAuth = "";

beforeAll(async () => {
  await createUser("admin@pbs", { password: "admin-secret" });
  await grantRole({ path: "/", authId: "admin@pbs", role: "Admin" });
  const { tokenid, secret } = await createToken("admin@pbs", "lister");
  await grantRole({ path: "/", authId: tokenid, role: "Admin" });
  tokenAuth = `PBSAPIToken=${tokenid}:${secret}`;
  // As behind the console's front door: every request carries the client's address.
  (globalThis as Record<symbol, unknown>)[FRONT_DOOR_MARK] = true;
});

afterAll(() => {
  delete (globalThis as Record<symbol, unknown>)[FRONT_DOOR_MARK];
});

function login(username: string, address: string): Promise<Response> {
  return handleTrpcRequest(
    new Request(`${BASE}/api/trpc/auth.login`, {
      method: "POST",
      headers: { host: "console.local", origin: BASE, "content-type": "application/json", [CLIENT_ADDRESS_HEADER]: address },
      body: JSON.stringify({ username, password: "guess-guess" }),
    }),
  );
}

async function timedListing(): Promise<number> {
  const started = performance.now();
  const input = encodeURIComponent(JSON.stringify({ store: "demo", ns: "" }));
  const res = await handleTrpcRequest(new Request(`${BASE}/api/trpc/group.list?input=${input}`, { headers: { host: "console.local", authorization: tokenAuth } }));
  expect(res.status).toBe(200);
  await res.json();
  return performance.now() - started;
}

describe("a login flood", () => {
  it("is refused with 429 and Retry-After beyond the hashing queue, and a listing does not wait for it", async () => {
    await timedListing(); // warm caches
    const idle = Math.min(await timedListing(), await timedListing(), await timedListing());

    const flood = Array.from({ length: 100 }, (_, i) => login(`nobody${i}@pbs`, `10.9.${i >> 8}.${i & 255}`));
    const during = await timedListing();
    // The listing ended while the flood's hashes were still running or waiting: it did not queue
    // behind them. (On the shared thread pool it came back only after the last of them.)
    const pendingWhenListed = hashPool.pending;
    const answers = await Promise.all(flood);

    expect(pendingWhenListed).toBeGreaterThan(0);
    expect(during, `idle ${idle.toFixed(0)} ms, during the flood ${during.toFixed(0)} ms`).toBeLessThan(idle * 10 + 2000);
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(hashPool.maxPending);
    const busy = answers.filter((r) => r.status === 429);
    expect(busy.length).toBeGreaterThanOrEqual(100 - hashPool.maxPending);
    for (const r of busy) expect(Number(r.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect((await busy[0]!.json()).error.message).toMatch(/^too many logins at once - try again in \d+ s$/);
  });

  it("cannot ride in a batch: a login with other calls, or too many calls, is refused before any hash", async () => {
    const body = JSON.stringify({ 0: { username: "a@pbs", password: "x" }, 1: { username: "b@pbs", password: "y" } });
    const headers = { host: "console.local", origin: BASE, "content-type": "application/json", [CLIENT_ADDRESS_HEADER]: "10.8.0.1" };
    const res = await handleTrpcRequest(new Request(`${BASE}/api/trpc/auth.login,auth.login?batch=1`, { method: "POST", headers, body }));
    expect(res.status).toBe(400);
    expect((await res.json()).error.json.message).toBe("auth.login cannot be batched with other calls: send each login on its own");

    const many = Array.from({ length: MAX_BATCH + 1 }, () => "auth.whoami").join(",");
    const tooMany = await handleTrpcRequest(new Request(`${BASE}/api/trpc/${many}?batch=1`, { headers: { host: "console.local", authorization: tokenAuth } }));
    expect(tooMany.status).toBe(400);

    // A batch path that is not valid URL-encoding is tRPC's 400, not a server error.
    const garbled = await handleTrpcRequest(new Request(`${BASE}/api/trpc/auth.whoami,%ZZ?batch=1`, { headers: { host: "console.local", authorization: tokenAuth } }));
    expect(garbled.status).toBe(400);
    expect((await garbled.json()).error.message).toMatch(/^Invalid URL-encoding in path/);

    // A login alone in a batch (what the console's batching client sends) is fine.
    const single = await handleTrpcRequest(
      new Request(`${BASE}/api/trpc/auth.login?batch=1`, { method: "POST", headers, body: JSON.stringify({ 0: { username: "admin@pbs", password: "admin-secret" } }) }),
    );
    expect(single.status).toBe(200);
  });
});
