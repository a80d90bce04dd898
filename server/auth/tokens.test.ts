import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { paths } from "../config/paths";
import { grantRole, listAcl } from "./acl";
import { authPaths } from "./auth-files";
import { fileMode, rejected, thrown, useAuthHome } from "./test-support";
import { deleteUser, revokeToken } from "./accounts";
import { createToken, getToken, listTokens, parseTokenHeader, updateToken, verifyTokenHeader } from "./tokens";
import { createUser, updateUser } from "./users";

useAuthHome();

const NOW = Date.UTC(2026, 5, 1);

describe("API tokens", () => {
  it("creates a token whose secret verifies in both header forms", async () => {
    await createUser("alice@pbs");
    const { tokenid, secret } = await createToken("alice@pbs", "ci", { comment: "build server" });
    expect(tokenid).toBe("alice@pbs!ci");
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(verifyTokenHeader(`PBSAPIToken=${tokenid}:${secret}`)).toEqual({ authId: "alice@pbs!ci" });
    expect(verifyTokenHeader(`PBSAPIToken ${tokenid}:${secret}`)).toEqual({ authId: "alice@pbs!ci" });
  });

  it("never stores or lists the secret in clear", async () => {
    await createUser("alice@pbs");
    const { secret } = await createToken("alice@pbs", "ci");
    for (const name of readdirSync(paths.etc())) {
      expect(readFileSync(path.join(paths.etc(), name), "utf8"), name).not.toContain(secret);
    }
    expect(fileMode(authPaths.tokens())).toBe(0o600);
    expect(JSON.stringify(listTokens())).not.toMatch(/secret|hash/);
    expect(listTokens("alice@pbs")).toEqual([{ tokenid: "alice@pbs!ci", enable: true, expire: 0 }]);
    expect(getToken("alice@pbs!ci")).toEqual({ tokenid: "alice@pbs!ci", enable: true, expire: 0 });
  });

  it("refuses a wrong secret, an unknown token and malformed headers with the same text", async () => {
    await createUser("alice@pbs");
    const { secret } = await createToken("alice@pbs", "ci");
    for (const header of [
      `PBSAPIToken=alice@pbs!ci:${secret}x`,
      `PBSAPIToken=alice@pbs!other:${secret}`,
      `PBSAPIToken=alice@pbs:${secret}`,
      `Bearer ${secret}`,
      `PBSAPIToken=alice@pbs!ci`,
      "",
    ]) {
      const err = thrown(() => verifyTokenHeader(header));
      expect(err.code, header).toBe("UNAUTHORIZED");
      expect(err.message, header).toBe("authentication failed - invalid API token");
    }
  });

  it("stops working once revoked, and its ACL entries go with it", async () => {
    await createUser("alice@pbs");
    const { tokenid, secret } = await createToken("alice@pbs", "ci");
    await grantRole({ path: "/datastore/st1", authId: tokenid, role: "DatastoreBackup" });
    await grantRole({ path: "/datastore/st1", authId: "alice@pbs", role: "DatastoreBackup" });
    await revokeToken(tokenid);
    expect(thrown(() => verifyTokenHeader(`PBSAPIToken=${tokenid}:${secret}`)).code).toBe("UNAUTHORIZED");
    expect(listTokens()).toEqual([]);
    expect(listAcl().map((e) => e["auth-id"])).toEqual(["alice@pbs"]);
    expect((await rejected(revokeToken(tokenid))).code).toBe("NOT_FOUND");
  });

  it("refuses a disabled or expired token, and a token of a disabled user", async () => {
    await createUser("alice@pbs");
    const { tokenid, secret } = await createToken("alice@pbs", "ci", { expire: NOW / 1000 + 60 });
    const header = `PBSAPIToken=${tokenid}:${secret}`;
    expect(verifyTokenHeader(header, NOW).authId).toBe(tokenid);
    expect(thrown(() => verifyTokenHeader(header, NOW + 60_000)).message).toBe("authentication failed - API token disabled or expired");
    await updateToken(tokenid, { expire: 0, enable: false });
    expect(thrown(() => verifyTokenHeader(header, NOW)).message).toBe("authentication failed - API token disabled or expired");
    await updateToken(tokenid, { enable: true });
    await updateUser("alice@pbs", { enable: false });
    expect(thrown(() => verifyTokenHeader(header, NOW)).message).toBe("authentication failed - user account disabled or expired");
  });

  it("needs an existing user and a fresh, valid name", async () => {
    expect((await rejected(createToken("ghost@pbs", "ci"))).message).toBe("no such user 'ghost@pbs'");
    await createUser("alice@pbs");
    await createToken("alice@pbs", "ci");
    expect((await rejected(createToken("alice@pbs", "ci"))).code).toBe("CONFLICT");
    expect((await rejected(createToken("alice@pbs", "bad name"))).code).toBe("BAD_REQUEST");
    expect((await rejected(createToken("alice@pbs", "a:b"))).code).toBe("BAD_REQUEST");
  });

  it("goes away with its user, with all ACL entries of both", async () => {
    await createUser("alice@pbs");
    await createUser("bob@pbs");
    const { tokenid, secret } = await createToken("alice@pbs", "ci");
    await createToken("bob@pbs", "ci");
    await grantRole({ path: "/", authId: tokenid, role: "Audit" });
    await grantRole({ path: "/", authId: "alice@pbs", role: "Audit" });
    await grantRole({ path: "/", authId: "bob@pbs", role: "Audit" });
    await deleteUser("alice@pbs");
    expect(listTokens().map((t) => t.tokenid)).toEqual(["bob@pbs!ci"]);
    expect(listAcl().map((e) => e["auth-id"])).toEqual(["bob@pbs"]);
    expect(thrown(() => verifyTokenHeader(`PBSAPIToken=${tokenid}:${secret}`)).code).toBe("UNAUTHORIZED");
  });

  it("parses the header: the first ':' ends the token id", () => {
    expect(parseTokenHeader("PBSAPIToken=a@pbs!t:se:cret")).toEqual({ tokenid: "a@pbs!t", secret: "se:cret" });
    expect(parseTokenHeader("  PBSAPIToken a@pbs!t:s  ")).toEqual({ tokenid: "a@pbs!t", secret: "s" });
    expect(parseTokenHeader("PBSAuthCookie=x")).toBeUndefined();
  });
});
