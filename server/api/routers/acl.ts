/**
 * The ACL (PBS /access/acl): which role an auth id has on a path, and whether it propagates to
 * the paths below. Reading it needs Sys.Audit or Permissions.Modify on /access/acl, changing it
 * Permissions.Modify there. Roles are PBS's built-in ones (server/auth/privileges.ts).
 */
import { z } from "zod";
import { ROLES, ROLE_NAMES, grantRole, listAcl, revokeRole, type Role } from "../../auth";
import { procedure, router } from "../init";

const roleSchema = z.enum(ROLE_NAMES as [Role, ...Role[]]);

export const aclRouter = router({
  /** Every entry, and the roles with their privileges (for the console's role picker). */
  list: procedure({ path: "acl", privileges: ["Sys.Audit", "Permissions.Modify"] }).query(() => ({
    acl: listAcl(),
    roles: ROLE_NAMES.map((name) => ({ name, privileges: [...ROLES[name]] })),
  })),

  /** Grants `role` (or with `delete`, removes it) on `path` for `authId` (PBS PUT /access/acl). */
  update: procedure(
    { path: "acl", privileges: ["Permissions.Modify"] },
    z.strictObject({
      path: z.string().min(1).max(128),
      authId: z.string().min(3).max(200),
      role: roleSchema,
      propagate: z.boolean().default(true),
      delete: z.boolean().default(false),
    }),
  ).mutation(async ({ input }) => {
    if (input.delete) {
      await revokeRole({ path: input.path, authId: input.authId, role: input.role });
      return null;
    }
    return grantRole({ path: input.path, authId: input.authId, role: input.role, propagate: input.propagate });
  }),
});
