import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { paths } from "../config/paths";
import { grantRole, listAcl } from "./acl";
import { authPaths } from "./auth-files";
import { createSession, destroySession } from "./session";
import { fileMode, thrown, useAuthHome } from "./test-support";
import { createToken } from "./tokens";
import { createUser, listUsers, updateUser } from "./users";

useAuthHome();

describe("auth config files", () => {
  it("keeps every file owner-only (0600) in an owner-only etc directory (0700)", async () => {
    await createUser("alice@pbs", { comment: "first" });
    await createToken("alice@pbs", "ci");
    await grantRole({ path: "/datastore", authId: "alice@pbs", role: "DatastoreAudit" });
    const token = await createSession("alice@pbs");
    await destroySession(token);
    for (const file of [authPaths.users(), authPaths.tokens(), authPaths.acl(), authPaths.sessionKey(), authPaths.revokedSessions()]) {
      expect(fileMode(file), file).toBe(0o600);
    }
    expect(fileMode(paths.etc())).toBe(0o700);
  });

  it("tightens an etc directory that someone made wider", async () => {
    await createUser("alice@pbs");
    chmodSync(paths.etc(), 0o755);
    await updateUser("alice@pbs", { comment: "again" });
    expect(fileMode(paths.etc())).toBe(0o700);
  });

  it("sees a change written by another process (a new file under the same name)", async () => {
    await createUser("alice@pbs");
    expect(listUsers().map((u) => u.userid)).toEqual(["alice@pbs"]);
    const doc = JSON.parse(readFileSync(authPaths.users(), "utf8"));
    doc.users.push({ userid: "bob@pbs", enable: true, expire: 0 });
    writeFileSync(`${authPaths.users()}.new`, JSON.stringify(doc));
    // Rename, as every writer does.
    (await import("node:fs")).renameSync(`${authPaths.users()}.new`, authPaths.users());
    expect(listUsers().map((u) => u.userid)).toEqual(["alice@pbs", "bob@pbs"]);
  });

  it("refuses a damaged file with an error naming it, instead of treating it as empty", async () => {
    await grantRole({ path: "/", authId: (await createUser("alice@pbs")).userid, role: "Admin" });
    writeFileSync(authPaths.acl(), "{ not json");
    const err = thrown(() => listAcl());
    expect(err.code).toBe("INTERNAL");
    expect(err.message).toContain("acl.json");
    writeFileSync(authPaths.acl(), JSON.stringify({ acl: [{ path: "/", "auth-id": "alice@pbs", role: "Superuser" }] }));
    expect(thrown(() => listAcl()).message).toMatch(/invalid config .*acl\.json/);
  });

  it("serialises concurrent writers: no update is lost", async () => {
    await Promise.all(Array.from({ length: 8 }, (_, i) => createUser(`u${i}@pbs`)));
    expect(listUsers()).toHaveLength(8);
  });
});
