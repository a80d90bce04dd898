/**
 * Users of realm `pbs` (PBS /access/users): managing them needs Permissions.Modify on
 * /access/users, listing them Sys.Audit there (PBS). Everybody changes their own password in
 * My account (account.changePassword), which asks for the current one; here only someone with
 * Permissions.Modify sets a password, and not their own. An API token may not (it is not the person).
 */
import { z } from "zod";
import {
  createUser,
  deleteUser,
  listUsers,
  setPassword,
  updateUser,
  unauthorized,
} from "../../auth";
import { newPasswordSchema, userIdSchema } from "../../datastore/model/credentials";
import { CofferError } from "../../datastore/model/errors";
import { procedure, router, type Access } from "../init";

const MANAGE: Access = { path: "users", privileges: ["Permissions.Modify"] };

export const useridSchema = userIdSchema;
const passwordSchema = newPasswordSchema;
const optionsSchema = {
  comment: z.string().max(128, "at most 128 characters").optional(),
  enable: z.boolean().optional(),
  /** Epoch seconds; 0 = never. */
  expire: z.number().int().min(0).optional(),
};

export const userRouter = router({
  list: procedure({ path: "users", privileges: ["Sys.Audit", "Permissions.Modify"] }).query(() => listUsers()),

  create: procedure(MANAGE, z.strictObject({ userid: useridSchema, password: passwordSchema.optional(), ...optionsSchema })).mutation(
    ({ input }) => {
      const { userid, ...opts } = input;
      return createUser(userid, opts);
    },
  ),

  update: procedure(MANAGE, z.strictObject({ userid: useridSchema, ...optionsSchema })).mutation(({ input }) => {
    const { userid, ...opts } = input;
    return updateUser(userid, opts);
  }),

  delete: procedure(MANAGE, z.strictObject({ userid: useridSchema })).mutation(async ({ ctx, input }) => {
    if (input.userid === ctx.auth.authId) throw new CofferError("BAD_REQUEST", "you cannot delete the user you are logged in as");
    await deleteUser(input.userid);
  }),

  /**
   * Someone else's password: Permissions.Modify on /access/users. One's own goes through My
   * account, which checks the current password: a session left open must not be enough to
   * take over the account. (The local superuser, without a console password, may set any.)
   */
  setPassword: procedure(MANAGE, z.strictObject({ userid: useridSchema, password: passwordSchema })).mutation(async ({ ctx, input }) => {
    const authId = ctx.auth.authId;
    if (!authId) throw unauthorized();
    if (authId.includes("!")) throw new CofferError("FORBIDDEN", "API tokens cannot change passwords");
    if (input.userid === authId) {
      throw new CofferError("FORBIDDEN", "cannot set your own password here: change it in My account, which asks for the current one");
    }
    await setPassword(input.userid, input.password);
  }),
});
