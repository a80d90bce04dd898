/**
 * Authentication and authorisation for every procedure (DESIGN.md 8 and 13), on top of the auth
 * core in server/auth:
 *
 * 1. who calls: `resolveCaller(headers)` reads an `Authorization: PBSAPIToken=...` header, else
 *    the session cookie (createRequestContext stores the result in `ctx.caller`, so that the
 *    route handler can send a renewed cookie);
 * 2. mutations and subscriptions must be same-origin (checkSameOrigin, server/auth/csrf.ts);
 * 3. the procedure's `meta.access` is enforced with checkAccess for the raw input's `store` and
 *    namespace (`ns`; namespace list/create name it `parent` (+ `name`)); an input with
 *    `targetNs` (the moves) is checked on the target as PBS 4.2 does;
 * 4. the procedure gets `ctx.auth`: the caller, and whether it came in only through
 *    `ownerPrivileges`. Then it MUST call `ctx.auth.checkOwner(owner)` with the group's (or the
 *    task's) owner once it knows it, or filter a listing with `ctx.auth.owns(owner)`.
 *
 * The owner is never taken from the input: an input's `owner` (group.setOwner) is the new owner,
 * not the current one.
 */
import { initTRPC } from "@trpc/server";
import { CofferError } from "../datastore/errors";
import { BackupNamespace, SAFE_ID_REGEX } from "../datastore/names";
import { checkBackupOwner, LOCAL_ROOT } from "../datastore/owner";
import {
  checkAccess,
  checkPrivileges,
  checkSameOrigin,
  datastoreAclPath,
  sessionCookie,
  sessionTokenFromCookie,
  verifySession,
  verifyTokenHeader,
  type Access,
  type AccessInput,
} from "../auth";
import type { Context, Meta } from "./init";

/** The identity of a request, resolved once per request. */
export interface Caller {
  authId?: string;
  /** `local`: a trusted server-side caller without HTTP (tests, server components acting as root@pam). */
  via: "token" | "session" | "local" | "none";
  /** A renewed session token: the response sets it as the new cookie. */
  renewedToken?: string;
  /** The cookie held an unusable session: the response clears it. */
  clearCookie?: boolean;
  /** A token header that failed: procedures other than public ones answer with this error. */
  error?: CofferError;
}

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
    return { authId: session.authId, via: "session", ...(session.renewedToken ? { renewedToken: session.renewedToken } : {}) };
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
  /** Whether the caller may see something owned by `owner` (always true without ownerOnly). */
  owns(owner: string): boolean;
  /** Throws PBS's `backup owner check failed (...)` when `ownerOnly` and `owner` is not the caller's. */
  checkOwner(owner: string): void;
}

function authState(caller: Caller, ownerOnly: boolean): AuthState {
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

function str(raw: Record<string, unknown>, key: string): string | undefined {
  const v = raw[key];
  return typeof v === "string" ? v : undefined;
}

/**
 * The store and namespace an input is about. `parent` + `name` (namespace create) is the new
 * namespace `parent/name`, so that `ns-parent` checks `parent`.
 */
export function accessInputOf(raw: unknown): AccessInput & { targetNs?: string } {
  if (typeof raw !== "object" || raw === null) return {};
  const r = raw as Record<string, unknown>;
  const out: AccessInput & { targetNs?: string } = {};
  const store = str(r, "store");
  if (store !== undefined) out.store = store;
  const ns = str(r, "ns");
  const parent = str(r, "parent");
  const name = str(r, "name");
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

/**
 * The middleware; use it after the error mapping so its CofferErrors map to tRPC codes:
 * `t.procedure.use(errorMapping).use(createAuthMiddleware())`.
 */
export function createAuthMiddleware(options: AuthMiddlewareOptions = {}) {
  // Middlewares are plain functions: one built on its own instance with the same context and
  // meta types plugs into init.ts's procedures (and keeps this file free of an import cycle).
  const t = initTRPC.context<AuthContext>().meta<Meta>().create();
  return t.middleware(async ({ ctx, meta, type, path, getRawInput, next }) => {
    const access = meta?.access;
    if (!access) throw new CofferError("INTERNAL", `procedure '${path}' declares no access`);
    const caller = ctx.caller ?? resolveCaller(ctx.headers);
    if (ctx.headers && caller.via !== "local") {
      const auth = caller.via === "token" ? "token" : caller.via === "session" ? "session" : "none";
      checkSameOrigin(ctx.headers, type, { auth, ...(options.allowedOrigins ? { allowedOrigins: options.allowedOrigins } : {}) });
    }
    if (access.path !== "public" && caller.error) throw caller.error;
    const input = accessInputOf(await getRawInput());
    const grant = checkAccess(caller.authId, access, input);
    let ownerOnly = grant.ownerOnly;
    if (input.targetNs !== undefined && caller.authId && input.store !== undefined) {
      ownerOnly = checkTarget(caller.authId, access, input.store, input.targetNs) || ownerOnly;
    }
    return next({ ctx: { caller, auth: authState(caller, ownerOnly) } });
  });
}
