/**
 * Removing accounts, which touches users, tokens and the ACL together (PBS delete_user,
 * delete_token). Kept apart from users.ts and tokens.ts so that those stay below acl.ts
 * (which checks that a grantee exists): users <- tokens <- acl <- accounts, no cycle.
 */
import { CofferError } from "../datastore/model/errors";
import { removeAclEntriesLocked } from "./acl";
import { authPaths, readConfigSync, withAuthLock, writeConfig } from "./auth-files";
import { emptyTokens, removeTokensOfUserLocked, tokensFileSchema } from "./tokens";
import { emptyUsers, usersFileSchema } from "./users";

/** Removes the user, its tokens and all ACL entries of both (PBS delete_user). */
export async function deleteUser(userid: string): Promise<void> {
  await withAuthLock(async () => {
    const current = readConfigSync(authPaths.users(), usersFileSchema, emptyUsers, { fresh: true });
    if (!current.users.some((u) => u.userid === userid)) throw new CofferError("NOT_FOUND", `no such user '${userid}'`);
    // ACL and tokens first: a crash half-way leaves a user without rights, never rights without a user.
    await removeAclEntriesLocked((authId) => authId === userid || authId.startsWith(`${userid}!`));
    await removeTokensOfUserLocked(userid);
    await writeConfig(authPaths.users(), usersFileSchema, { users: current.users.filter((u) => u.userid !== userid) });
  });
}

/** Revokes (deletes) a token and its ACL entries (PBS delete_token). */
export async function revokeToken(tokenid: string): Promise<void> {
  await withAuthLock(async () => {
    const current = readConfigSync(authPaths.tokens(), tokensFileSchema, emptyTokens, { fresh: true });
    if (!current.tokens.some((t) => t.tokenid === tokenid)) {
      throw new CofferError("NOT_FOUND", `no such API token '${tokenid}'`);
    }
    // Token first: a crash half-way leaves stale ACL entries of a token that no longer exists.
    await writeConfig(authPaths.tokens(), tokensFileSchema, { tokens: current.tokens.filter((t) => t.tokenid !== tokenid) });
    await removeAclEntriesLocked((authId) => authId === tokenid);
  });
}
