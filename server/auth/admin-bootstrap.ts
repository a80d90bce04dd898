/**
 * First start: when no user exists yet, create `admin@pbs` with role Admin on `/` (DESIGN.md
 * 13). Its password comes from COFFER_ADMIN_PASSWORD, or is generated, printed once and saved to
 * `COFFER_HOME/etc/admin-password` (mode 0600) for an admin who missed the console output.
 * Once any user exists nothing happens, so a later start neither regenerates the password nor
 * recreates an admin that was deliberately removed.
 */
import { CofferError } from "../datastore/model/errors";
import { writeFileAtomic } from "../platform/atomic-file";
import { addAclEntryLocked } from "./acl";
import { SECRET_FILE_MODE, authPaths, readConfigSync, withAuthLock, writeConfig } from "./auth-files";
import { checkPassword, generatePassword, hashPassword } from "./password";
import { usersFileSchema } from "./users";

export const ADMIN_USER = "admin@pbs";
export const ADMIN_PASSWORD_ENV = "COFFER_ADMIN_PASSWORD";

export interface BootstrapResult {
  created: boolean;
  /** True when the password was generated (and printed and saved), false when it came from the environment. */
  generated: boolean;
}

/**
 * Creates the first user if there is none; safe to call on every start and from several
 * processes at once (checked again under the auth lock).
 */
export async function ensureAdminUser(
  log: (line: string) => void = console.log,
  env: Record<string, string | undefined> = process.env,
): Promise<BootstrapResult> {
  const empty = () => ({ users: [] });
  if (readConfigSync(authPaths.users(), usersFileSchema, empty).users.length > 0) {
    return { created: false, generated: false };
  }
  const fromEnv = env[ADMIN_PASSWORD_ENV];
  if (fromEnv !== undefined && fromEnv !== "") {
    try {
      checkPassword(fromEnv);
    } catch (err) {
      throw new CofferError("BAD_REQUEST", `${ADMIN_PASSWORD_ENV}: ${(err as Error).message}`);
    }
  }
  const generated = fromEnv === undefined || fromEnv === "";
  const password = generated ? generatePassword() : fromEnv;
  const hash = await hashPassword(password);

  const created = await withAuthLock(async () => {
    const current = readConfigSync(authPaths.users(), usersFileSchema, empty, { fresh: true });
    if (current.users.length > 0) return false;
    // Password file, then ACL, then the user: a crash half-way leaves no user, and the next
    // start simply does it all again.
    if (generated) await writeFileAtomic(authPaths.adminPassword(), `${password}\n`, SECRET_FILE_MODE);
    await addAclEntryLocked({ path: "/", "auth-id": ADMIN_USER, role: "Admin", propagate: true });
    await writeConfig(authPaths.users(), usersFileSchema, {
      users: [{ userid: ADMIN_USER, enable: true, expire: 0, comment: "created on first start", password: hash }],
    });
    return true;
  });
  if (!created) return { created: false, generated: false };
  if (generated) {
    log(`created user ${ADMIN_USER} with the generated password: ${password}`);
    log(`(also saved in ${authPaths.adminPassword()}, readable only by its owner; delete it once noted)`);
  } else {
    log(`created user ${ADMIN_USER} with the password from ${ADMIN_PASSWORD_ENV}`);
  }
  return { created: true, generated };
}
