/**
 * API tokens (PBS /access/users/{userid}/token): `user@realm!name`, for scripts, used as
 * `Authorization: PBSAPIToken=<tokenid>:<secret>`. The secret is returned once, by `create`.
 * A user manages their own tokens; someone else's need Permissions.Modify on /access/users
 * (listing them: Sys.Audit there). A token cannot manage tokens.
 */
import { z } from "zod";
import {
  ACCESS_USERS_PATH,
  checkPrivileges,
  createToken,
  getToken,
  listTokens,
  revokeToken,
  unauthorized,
  type Privilege,
} from "../../auth";
import { CofferError } from "../../datastore/model/errors";
import { authIdUser } from "../../datastore/model/owner";
import { procedure, router, type Access } from "../init";

const SELF: Access = { path: "authenticated", privileges: [] };

/** The user whose tokens are meant; throws FORBIDDEN unless it is the caller or `privileges` allow. */
function tokenOwner(authId: string | undefined, userid: string | undefined, privileges: Privilege[]): string {
  if (!authId) throw unauthorized();
  if (authId.includes("!")) throw new CofferError("FORBIDDEN", "API tokens cannot manage API tokens");
  const user = userid ?? authId;
  if (user !== authId) checkPrivileges(authId, ACCESS_USERS_PATH, privileges);
  return user;
}

export const tokenRouter = router({
  /** The tokens of `userid` (default: the caller); `all` lists every user's (Sys.Audit). */
  list: procedure(SELF, z.strictObject({ userid: z.string().max(128).optional(), all: z.boolean().optional() })).query(({ ctx, input }) => {
    if (input.all) {
      tokenOwner(ctx.auth.authId, "*", ["Sys.Audit", "Permissions.Modify"]);
      return listTokens();
    }
    return listTokens(tokenOwner(ctx.auth.authId, input.userid, ["Sys.Audit", "Permissions.Modify"]));
  }),

  /** Creates `userid!name`; the answer holds the secret, the only time it is shown. */
  create: procedure(
    SELF,
    z.strictObject({
      userid: z.string().max(128).optional(),
      name: z.string().min(1, "enter a name").max(64),
      comment: z.string().max(128).optional(),
      expire: z.number().int().min(0).optional(),
    }),
  ).mutation(({ ctx, input }) => {
    const user = tokenOwner(ctx.auth.authId, input.userid, ["Permissions.Modify"]);
    return createToken(user, input.name, {
      ...(input.comment ? { comment: input.comment } : {}),
      ...(input.expire !== undefined ? { expire: input.expire } : {}),
    });
  }),

  /** Revokes a token: it stops working at once, and its ACL entries go with it. */
  revoke: procedure(SELF, z.strictObject({ tokenid: z.string().min(1).max(200) })).mutation(async ({ ctx, input }) => {
    tokenOwner(ctx.auth.authId, authIdUser(input.tokenid), ["Permissions.Modify"]);
    if (!input.tokenid.includes("!") || !getToken(input.tokenid)) {
      throw new CofferError("NOT_FOUND", `no such API token '${input.tokenid}'`);
    }
    await revokeToken(input.tokenid);
  }),
});
