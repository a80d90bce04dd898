/**
 * The auth core: users, API tokens, sessions, roles, ACL and the checks the API runs with them.
 * The API (server/api) imports from here; nothing here knows tRPC or Next.
 */
export { deleteUser, revokeToken } from "./accounts";
export { ADMIN_PASSWORD_ENV, ADMIN_USER, ensureAdminUser, type BootstrapResult } from "./admin-bootstrap";
export {
  checkAccess,
  checkMoveAccess,
  checkMoveNamespaceAccess,
  checkPrivileges,
  datastoreVisibility,
  privilegedPathsBelow,
  accessPath,
  permissionError,
  unauthorized,
  type Access,
  type AccessGrant,
  type AccessInput,
} from "./access";
export { grantRole, listAcl, privilegesAt, privilegesIn, revokeRole, rolesAt, type AclEntry } from "./acl";
export { ACCESS_ACL_PATH, ACCESS_USERS_PATH, DATASTORES_ACL_PATH, checkAclPath, datastoreAclPath, splitAclPath, SYSTEM_TASKS_PATH } from "./acl-path";
export { authPaths } from "./auth-files";
export { checkSameOrigin, needsSameOrigin, type SameOriginOptions } from "./csrf";
export { authenticateUser, loginThrottle, type LoginOptions } from "./login";
export { DEFAULT_THROTTLE, LoginThrottle, LoginThrottledError, throttleKeys, type ThrottlePolicy } from "./login-throttle";
export { HashPool, HashPoolBusyError, hashPool } from "./hash-pool";
export { checkPassword, hashPassword, verifyPassword, type PasswordHash } from "./password";
export { PRIVILEGES, ROLES, ROLE_NAMES, isPrivilege, isRole, privilegeNames, rolePrivileges, type Privilege, type Role } from "./privileges";
export {
  SESSION_COOKIE,
  SESSION_IDLE_MS,
  SESSION_MAX_MS,
  SESSION_RENEW_AFTER_MS,
  createSession,
  destroySession,
  endAllUserSessions,
  endUserSession,
  listSessions,
  recordSessionRenewal,
  rotateSessionKey,
  sessionCookie,
  sessionTokenFromCookie,
  verifySession,
  type SessionClient,
  type SessionInfo,
  type VerifiedSession,
} from "./session";
export {
  checkActiveAuthId,
  createToken,
  getToken,
  listTokens,
  parseTokenHeader,
  updateToken,
  verifyTokenHeader,
  type TokenInfo,
} from "./tokens";
export {
  COFFER_REALM,
  createUser,
  getUser,
  isUserActive,
  listUsers,
  setPassword,
  updateUser,
  type UserInfo,
  type UserOptions,
} from "./users";
