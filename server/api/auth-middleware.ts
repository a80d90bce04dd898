/**
 * Authentication and authorisation for every procedure (DESIGN.md 8 and 13), on top of the auth
 * core in server/auth. Two middlewares, on either side of input validation:
 *
 * 1. `createAuthenticate` runs before the input is parsed: who calls (`resolveCaller`: an
 *    `Authorization: PBSAPIToken=...` header, else the session cookie), the same-origin check
 *    for mutations and subscriptions (server/auth/csrf.ts), and a procedure without a declared
 *    `meta.access` or a non-public procedure without a caller is refused before its input is
 *    even looked at.
 * 2. `authorize` runs after the procedure's own zod schema parsed the input (strict: unknown
 *    keys are refused), and enforces `meta.access` with checkAccess on that parsed input only:
 *    its `store`, its namespace (`ns`, or `parent` + `name` for a namespace to create), and
 *    its `targetNs` (the moves, checked on the target as PBS 4.2 does). A field the schema does
 *    not know can never steer the check. The procedure then gets `ctx.auth`: the caller, and
 *    whether it came in only through `ownerPrivileges`, in which case it MUST call
 *    `ctx.auth.checkOwner(owner)` with the group's (or the task's) owner once it knows it, or
 *    filter a listing with `ctx.auth.owns(owner)`.
 *
 * init.ts builds every procedure as authenticate -> input -> authorize (`procedure(access,
 * input)`), so no router can put authorisation before validation or leave it out.
 * The owner is never taken from the input: an input's `owner` (group.setOwner) is the new owner,
 * not the current one.
 */
import { initTRPC } from "@trpc/server";
import { CofferError } from "../datastore/model/errors";
import { BackupNamespace, SAFE_ID_REGEX } from "../datastore/model/names";
import { checkBackupOwner, LOCAL_ROOT } from "../datastore/model/owner";
import {
  checkAccess,
  checkPrivileges,
  checkSameOrigin,
  datastoreAclPath,
  sessionCookie,
  sessionTokenFromCookie,
  verifySession,
  verifyTokenHeader,
  unauthorized,
  type Access,
  type AccessInput,
} from "../auth";
import type { Caller, Context, Meta } from "./context";

export type { Caller } from "./context";


/** The local superuser without HTTP, for createCaller in tests and trusted server-side calls. */
export const LOCAL_CALLER: Caller = { authId: LOCAL_ROOT, via: "local" };

/** Who is calling, from the request headers; never throws. */
export function resolveCaller(headers: Headers | undefined, now = Date.now()): Caller {
  if (!headers) return { via: "none" };
  const authorization = headers.get("authorization");
  if (authorization) {
    try {
      return { authId: verifyTokenHeader(authorization, now).authId, via: "token" };
    } catch (err) {
      return { via: "none", error: err instanceof CofferError ? err : new CofferError("UNAUTHORIZED", "authentication failed") };
    }
  }
  const token = sessionTokenFromCookie(headers.get("cookie"));
  if (!token) return { via: "none" };
  try {
    const session = verifySession(token, { now });
    return {
      authId: session.authId,
      via: "session",
      sessionId: session.sessionId,
      ...(session.renewedToken ? { renewedToken: session.renewedToken } : {}),
    };
  } catch {
    // An expired or forged cookie makes the caller anonymous (so the login page still works).
    return { via: "none", clearCookie: true };
  }
}

/** Whether the browser reached the console over https (directly or through a TLS proxy). */
export function requestIsHttps(req: Request): boolean {
  const proto = req.headers.get("x-forwarded-proto")?.split(",")[0]?.trim();
  return proto ? proto === "https" : new URL(req.url).protocol === "https:";
}

/** The Set-Cookie header the response needs for this caller, if any (renewal or clearing). */
export function sessionSetCookie(caller: Caller | undefined, req: Request): string | undefined {
  if (!caller) return undefined;
  if (caller.renewedToken) return sessionCookie(caller.renewedToken, { secure: requestIsHttps(req) });
  if (caller.clearCookie) return sessionCookie(undefined, { secure: requestIsHttps(req) });
  return undefined;
}

/** What a procedure learns about its caller (`ctx.auth`). */
export interface AuthState {
  authId: string | undefined;
  via: Caller["via"];
  /** True when access was granted only through `ownerPrivileges`. */
  ownerOnly: boolean;
  /**
   * True when access was granted only through the declaration's `belowPrivileges`: the caller
   * has nothing at the checked path, and the resolver returns only what lies where it has.
   */
  below: boolean;
  /** Whether the caller may see something owned by `owner` (always true without ownerOnly). */
  owns(owner: string): boolean;
  /** Throws PBS's `backup owner check failed (...)` when `ownerOnly` and `owner` is not the caller's. */
  checkOwner(owner: string): void;
}

function authState(caller: Caller, ownerOnly: boolean, below = false): AuthState {
  const authId = caller.authId;
  const checkOwner = (owner: string) => {
    if (!ownerOnly) return;
    if (!authId) throw new CofferError("UNAUTHORIZED", "authentication required");
    checkBackupOwner(owner, authId);
  };
  return {
    authId,
    via: caller.via,
    ownerOnly,
    below,
    checkOwner,
    owns: (owner) => {
      try {
        checkOwner(owner);
        return true;
      } catch {
        return false;
      }
    },
  };
}

function str(parsed: Record<string, unknown>, key: string): string | undefined {
  const v = parsed[key];
  return typeof v === "string" ? v : undefined;
}

/**
 * The store and namespaces a *parsed* input is about. `parent` + `name` (namespace create) is
 * the new namespace `parent/name`, so that `ns-parent` checks `parent`. An input with both `ns`
 * and `parent` is a schema mistake and fails closed.
 */
export function accessInputOf(parsed: unknown): AccessInput & { targetNs?: string } {
  if (typeof parsed !== "object" || parsed === null) return {};
  const r = parsed as Record<string, unknown>;
  const out: AccessInput & { targetNs?: string } = {};
  const store = str(r, "store");
  if (store !== undefined) out.store = store;
  const ns = str(r, "ns");
  const parent = str(r, "parent");
  const name = str(r, "name");
  if (ns !== undefined && parent !== undefined) {
    throw new CofferError("INTERNAL", "an input names both 'ns' and 'parent': the access check cannot tell which one it is about");
  }
  if (ns !== undefined) out.ns = ns;
  else if (parent !== undefined && name !== undefined) {
    if (!SAFE_ID_REGEX.test(name)) throw new CofferError("BAD_REQUEST", "name: use A-Z a-z 0-9 _ . - (not starting with . or -)");
    out.ns = parent === "" ? name : `${parent}/${name}`;
  } else if (parent !== undefined) out.ns = parent;
  const targetNs = str(r, "targetNs");
  if (targetNs !== undefined) out.targetNs = targetNs;
  return out;
}

/**
 * The move rule's target side (reference pbs-api-ui.md 3): move-namespace needs Modify on the
 * target's parent; move-group Modify on the target, or Backup for an owned group.
 */
function checkTarget(authId: string, access: Access, store: string, targetNs: string): boolean {
  if (access.path === "ns-parent") {
    return checkAccess(authId, access, { store, ns: targetNs }).ownerOnly;
  }
  if (access.path === "ns") {
    const path = datastoreAclPath(store, BackupNamespace.parse(targetNs));
    return checkPrivileges(authId, path, ["Datastore.Modify"], ["Datastore.Backup"]).ownerOnly;
  }
  return false;
}

export interface AuthMiddlewareOptions {
  /** Extra origins whose mutations are accepted (a proxy that rewrites Host). */
  allowedOrigins?: readonly string[];
}

type AuthContext = Context & { caller?: Caller };
type CallerContext = Context & { caller: Caller };

/**
 * Step 1, before the input is parsed; use it after the error mapping so its CofferErrors map to
 * tRPC codes: `t.procedure.use(errorMapping).use(createAuthenticate())`.
 */
export function createAuthenticate(options: AuthMiddlewareOptions = {}) {
  // Middlewares are plain functions: one built on its own instance with the same context and
  // meta types plugs into init.ts's procedures (and keeps this file free of an import cycle).
  const t = initTRPC.context<AuthContext>().meta<Meta>().create();
  return t.middleware(async ({ ctx, meta, type, path, next }) => {
    const access = meta?.access;
    if (!access) throw new CofferError("INTERNAL", `procedure '${path}' declares no access`);
    const caller = ctx.caller ?? resolveCaller(ctx.headers);
    if (ctx.headers && caller.via !== "local") {
      const auth = caller.via === "token" ? "token" : caller.via === "session" ? "session" : "none";
      checkSameOrigin(ctx.headers, type, { auth, ...(options.allowedOrigins ? { allowedOrigins: options.allowedOrigins } : {}) });
    }
    if (access.path !== "public") {
      if (caller.error) throw caller.error;
      // Anonymous callers learn nothing, not even what the input should look like.
      if (!caller.authId) throw unauthorized();
    }
    return next({ ctx: { caller } });
  });
}

/**
 * Step 2, after the procedure's schema parsed the input: enforces `meta.access` on the parsed
 * input (never the raw request) and hands the procedure `ctx.auth`.
 */
export function createAuthorize() {
  const t = initTRPC.context<CallerContext>().meta<Meta>().create();
  return t.middleware(async ({ ctx, meta, path, input, next }) => {
    const access = meta?.access;
    if (!access) throw new CofferError("INTERNAL", `procedure '${path}' declares no access`);
    const caller = ctx.caller;
    const scope = accessInputOf(input);
    const grant = checkAccess(caller.authId, access, scope);
    let ownerOnly = grant.ownerOnly;
    if (scope.targetNs !== undefined && caller.authId && scope.store !== undefined) {
      ownerOnly = checkTarget(caller.authId, access, scope.store, scope.targetNs) || ownerOnly;
    }
    return next({ ctx: { auth: authState(caller, ownerOnly, grant.below ?? false) } });
  });
}
