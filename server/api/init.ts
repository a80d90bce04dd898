/**
 * The tRPC instance, the request context and the procedures every router builds on
 * (DESIGN.md section 8). The later auth issue layers `authedProcedure` (session or API token)
 * and datastore-scoped procedures (declared privilege and operation) on top of
 * `publicProcedure`; routers stay thin either way.
 */
import { initTRPC, TRPCError } from "@trpc/server";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server";
import { z } from "zod";
import { CofferError, type ErrorCode } from "../datastore/errors";

/**
 * What a procedure knows about its caller. Empty for now: the console has no users yet. The
 * auth issue adds the session / token identity here, and tests build it with
 * `createInnerContext` without any HTTP request.
 */
export interface Context {
  /** Request headers when called over HTTP; absent through `createCaller`. */
  headers?: Headers;
}

/** The context without a request, for `createCaller` in tests and server-side callers. */
export function createInnerContext(opts: Partial<Context> = {}): Context {
  return { ...opts };
}

/** The context of an HTTP request (the fetch adapter in app/api/trpc/[trpc]/route.ts). */
export function createRequestContext(opts: { req: Request }): Context {
  return createInnerContext({ headers: opts.req.headers });
}

/** One readable line per problem (`store: invalid datastore name ...`), not zod's JSON dump. */
function describeZodError(error: z.ZodError): string {
  return error.issues.map((i) => (i.path.length > 0 ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ");
}

/** PBS privileges (reference pbs-api-ui.md section 3). */
export type Privilege =
  | "Datastore.Audit"
  | "Datastore.Modify"
  | "Datastore.Read"
  | "Datastore.Backup"
  | "Datastore.Prune"
  | "Datastore.Verify"
  | "Datastore.Allocate"
  | "Sys.Audit"
  | "Sys.Modify";

/**
 * What a procedure requires, declared on every procedure with `.meta({ access })`:
 * - `privileges`: any one of them on the ACL path suffices (PBS's `Priv1|Priv2`);
 * - `path`: which ACL path: `/datastore/{store}` (`store`), `/datastore/{store}/{ns}` (`ns`),
 *   the parent of the namespace (`ns-parent`, namespace create/delete), `/system/tasks`
 *   (`system`), or none beyond being logged in (`authenticated`, `public`);
 * - `ownerPrivileges`: privileges that suffice only for groups the caller owns (PBS's
 *   "B+owner" / "P+owner").
 * The users and permissions issue enforces these in a middleware; a test enumerates every
 * procedure and fails for one without a declaration.
 */
export interface Access {
  path: "public" | "authenticated" | "store" | "ns" | "ns-parent" | "system";
  privileges: Privilege[];
  ownerPrivileges?: Privilege[];
}

export interface Meta {
  access?: Access;
}

const t = initTRPC.context<Context>().meta<Meta>().create({
  errorFormatter({ shape, error }) {
    if (error.code === "BAD_REQUEST" && error.cause instanceof z.ZodError) {
      // Forms can show zod's field errors next to their fields; everyone else gets one sentence.
      return {
        ...shape,
        message: describeZodError(error.cause),
        data: { ...shape.data, zodError: z.flattenError(error.cause) },
      };
    }
    return { ...shape, data: { ...shape.data, zodError: null } };
  },
});

/**
 * The one mapping from engine error codes to tRPC codes. ABORTED only reaches the API if a
 * client goes away mid-call; INTERNAL (I/O errors, corrupt data) is a server error.
 */
const TRPC_CODE_OF: Record<ErrorCode, TRPC_ERROR_CODE_KEY> = {
  BAD_REQUEST: "BAD_REQUEST",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  PRECONDITION_FAILED: "PRECONDITION_FAILED",
  FORBIDDEN: "FORBIDDEN",
  UNAUTHORIZED: "UNAUTHORIZED",
  ABORTED: "CLIENT_CLOSED_REQUEST",
  INTERNAL: "INTERNAL_SERVER_ERROR",
};

/**
 * Turns anything a procedure threw into a TRPCError. Engine errors keep their message (it is
 * written for admins, outermost context first, as PBS prints it) and stay reachable as `cause`.
 */
export function toTRPCError(err: unknown): TRPCError {
  // tRPC wraps whatever a procedure throws; the engine's error is then its cause.
  const inner = err instanceof TRPCError && err.cause instanceof CofferError ? err.cause : err;
  if (inner instanceof CofferError) {
    return new TRPCError({ code: TRPC_CODE_OF[inner.code], message: inner.message, cause: inner });
  }
  if (inner instanceof TRPCError) return inner;
  return new TRPCError({
    code: "INTERNAL_SERVER_ERROR",
    message: inner instanceof Error ? inner.message : String(inner),
    cause: inner,
  });
}

/** True for errors an admin or a developer should look at: everything the API did not expect. */
export function isUnexpected(err: TRPCError): boolean {
  return err.code === "INTERNAL_SERVER_ERROR";
}

/**
 * Maps engine errors in one place and logs only the unexpected ones, so that a refused move or a
 * store in maintenance does not fill the server log.
 */
const errorMapping = t.middleware(async ({ next, path, type }) => {
  const result = await next();
  if (result.ok) return result;
  const mapped = toTRPCError(result.error);
  if (isUnexpected(mapped)) {
    console.error(`tRPC ${type} '${path}' failed:`, mapped.cause ?? mapped);
  }
  throw mapped;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(errorMapping);
