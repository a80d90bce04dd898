/**
 * Users of realm `pbs` (PBS /access/users): managing them needs Permissions.Modify on
 * /access/users, listing them Sys.Audit there (PBS). Everybody may change their own password;
 * an API token may not (it is not the person).
 */
import { z } from "zod";
import {
  ACCESS_USERS_PATH,
  checkPrivileges,
  createSession,
  createUser,
  deleteUser,
  listUsers,
  sessionCookie,
  setPassword,
  updateUser,
  unauthorized,
} from "../../auth";
import { CofferError } from "../../datastore/model/errors";
import { procedure, router, type Access } from "../init";

const MANAGE: Access = { path: "users", privileges: ["Permissions.Modify"] };

export const useridSchema = z.string().min(3).max(128);
const passwordSchema = z.string().min(5, "password too short (at least 5 characters)").max(64, "password too long (at most 64 characters)");
const optionsSchema = {
  comment: z.string().max(128).optional(),
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

  /** Own password: any logged-in user; someone else's: Permissions.Modify on /access/users. */
  setPassword: procedure({ path: "authenticated", privileges: [] }, z.strictObject({ userid: useridSchema, password: passwordSchema })).mutation(
    async ({ ctx, input }) => {
      const authId = ctx.auth.authId;
      if (!authId) throw unauthorized();
      if (authId.includes("!")) throw new CofferError("FORBIDDEN", "API tokens cannot change passwords");
      if (input.userid !== authId) checkPrivileges(authId, ACCESS_USERS_PATH, ["Permissions.Modify"]);
      // A new password ends every session of the user (users.ts); whoever changed their own
      // in the console gets a new one at once, so only their other sessions end.
      await setPassword(input.userid, input.password);
      if (input.userid === authId && ctx.auth.via === "session" && ctx.cookie) {
        ctx.cookie.value = sessionCookie(await createSession(authId), { secure: ctx.secure ?? false });
      }
    },
  ),
});
