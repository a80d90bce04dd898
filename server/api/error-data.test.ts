/**
 * Engine errors reach the client as typed data (`error.data.coffer`), so the console explains
 * them without reading the English of the message: a lock conflict with its holder, a
 * maintenance refusal with the admin's message, a "try again later" with its wait.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { createToken, createUser, grantRole } from "../auth";
import { handleTrpcRequest } from "./http-handler";
import { coffer, useDemoHome } from "./test-support";
import { holdLock } from "./routers/content-test-support";

const env = useDemoHome();
const BASE = "http://console.local";
let auth = "";

beforeAll(async () => {
  await createUser("admin@pbs", { password: "admin-secret" });
  const { tokenid, secret } = await createToken("admin@pbs", "t");
  await grantRole({ path: "/", authId: "admin@pbs", role: "Admin" });
  await grantRole({ path: "/", authId: tokenid, role: "Admin" });
  auth = `PBSAPIToken=${tokenid}:${secret}`;
});

async function post(procedure: string, input: unknown) {
  const res = await handleTrpcRequest(
    new Request(`${BASE}/api/trpc/${procedure}`, {
      method: "POST",
      headers: { host: "console.local", authorization: auth, "content-type": "application/json" },
      body: JSON.stringify(input),
    }),
  );
  return { status: res.status, body: (await res.json()) as { error: { message: string; data: { code: string; coffer: unknown } } } };
}

describe("typed engine errors over HTTP", () => {
  it("a lock conflict carries the lock's kind and its holder", async () => {
    const held = await holdLock(env.home(), "demo", "vm/100");
    try {
      const { status, body } = await post("group.delete", { store: "demo", ns: "", group: { type: "vm", id: "100" } });
      expect(status).toBe(409);
      expect(body.error.data.coffer).toMatchObject({
        code: "CONFLICT",
        lock: { kind: "backup group", name: expect.stringMatching(/^run\/locks\/demo\//), holders: [{ pid: held.child.pid, mode: "exclusive", since: expect.any(Number) }] },
      });
    } finally {
      await held.release();
    }
  });

  it("a maintenance refusal carries the store, the mode and the admin's message", async () => {
    coffer(env.home(), "maintenance", "set", "demo", "read-only", "--message", "disk swap");
    try {
      const { status, body } = await post("group.setNotes", { store: "demo", ns: "", group: { type: "vm", id: "100" }, notes: "x" });
      expect(status).toBe(412);
      expect(body.error.data.coffer).toEqual({ code: "PRECONDITION_FAILED", maintenance: { store: "demo", mode: "read-only", message: "disk swap" } });
    } finally {
      coffer(env.home(), "maintenance", "clear", "demo");
    }
  });

  it("plain errors carry just their code, and non-engine errors nothing", async () => {
    const missing = await post("group.setNotes", { store: "demo", ns: "", group: { type: "vm", id: "4242" }, notes: "x" });
    expect(missing.body.error.data.coffer).toEqual({ code: "NOT_FOUND" });
    const invalid = await post("group.setNotes", { store: "demo", ns: "", group: { type: "vm", id: "-bad" }, notes: "x" });
    expect(invalid.body.error.data.coffer).toBeNull();
  });
});
