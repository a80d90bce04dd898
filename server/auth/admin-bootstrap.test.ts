import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { listAcl, privilegesAt } from "./acl";
import { ADMIN_USER, ensureAdminUser } from "./admin-bootstrap";
import { authPaths } from "./auth-files";
import { authenticateUser } from "./login";
import { LoginThrottle } from "./login-throttle";
import { PRIVILEGES } from "./privileges";
import { fileMode, rejected, useAuthHome } from "./test-support";
import { createUser, getUser, listUsers } from "./users";

useAuthHome();

function collect(): { log: (line: string) => void; lines: string[] } {
  const lines: string[] = [];
  return { log: (line) => lines.push(line), lines };
}

describe("ensureAdminUser", () => {
  it("creates admin@pbs with COFFER_ADMIN_PASSWORD and role Admin on /, writing no password file", async () => {
    const out = collect();
    const result = await ensureAdminUser(out.log, { COFFER_ADMIN_PASSWORD: "s3cret-admin" });
    expect(result).toEqual({ created: true, generated: false });
    expect(getUser(ADMIN_USER)).toMatchObject({ userid: "admin@pbs", enable: true, expire: 0 });
    expect(listAcl()).toEqual([{ path: "/", "auth-id": "admin@pbs", role: "Admin", propagate: true }]);
    expect(privilegesAt(ADMIN_USER, "/datastore/any/ns")).toEqual(new Set(PRIVILEGES));
    expect(existsSync(authPaths.adminPassword())).toBe(false);
    expect(out.lines.join("\n")).not.toContain("s3cret-admin");
    await expect(authenticateUser(ADMIN_USER, "s3cret-admin", { throttle: new LoginThrottle() })).resolves.toEqual({ authId: ADMIN_USER });
    expect(fileMode(authPaths.users())).toBe(0o600);
  });

  it("generates a password, prints it once, saves it 0600, and does not regenerate it on the next start", async () => {
    const first = collect();
    expect(await ensureAdminUser(first.log, {})).toEqual({ created: true, generated: true });
    const saved = readFileSync(authPaths.adminPassword(), "utf8").trim();
    expect(saved).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(fileMode(authPaths.adminPassword())).toBe(0o600);
    expect(first.lines.filter((l) => l.includes(saved))).toHaveLength(1);
    await expect(authenticateUser(ADMIN_USER, saved, { throttle: new LoginThrottle() })).resolves.toEqual({ authId: ADMIN_USER });

    const usersBefore = readFileSync(authPaths.users(), "utf8");
    const second = collect();
    expect(await ensureAdminUser(second.log, {})).toEqual({ created: false, generated: false });
    expect(second.lines).toEqual([]);
    expect(readFileSync(authPaths.adminPassword(), "utf8").trim()).toBe(saved);
    expect(readFileSync(authPaths.users(), "utf8")).toBe(usersBefore);
  });

  it("does nothing once any user exists (a removed admin is not recreated)", async () => {
    await createUser("alice@pbs");
    const out = collect();
    expect(await ensureAdminUser(out.log, { COFFER_ADMIN_PASSWORD: "whatever1" })).toEqual({ created: false, generated: false });
    expect(listUsers().map((u) => u.userid)).toEqual(["alice@pbs"]);
    expect(out.lines).toEqual([]);
  });

  it("creates the admin once when several starts race", async () => {
    const out = collect();
    const results = await Promise.all([1, 2, 3].map(() => ensureAdminUser(out.log, {})));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(listUsers()).toHaveLength(1);
    const saved = readFileSync(authPaths.adminPassword(), "utf8").trim();
    expect(out.lines.filter((l) => l.includes(saved))).toHaveLength(1);
  });

  it("refuses a COFFER_ADMIN_PASSWORD that is too short, naming the variable", async () => {
    const err = await rejected(ensureAdminUser(() => {}, { COFFER_ADMIN_PASSWORD: "abc" }));
    expect(err.message).toBe("COFFER_ADMIN_PASSWORD: password too short (at least 5 characters)");
    expect(listUsers()).toEqual([]);
  });
});
