/**
 * The tRPC instance, the request context and the procedures every router builds on
 * (DESIGN.md section 8). Every procedure is built with `procedure(access, input)`, which maps
 * engine errors, authenticates the caller (session cookie or API token; cross-site mutations
 * refused), validates the input strictly, and only then enforces the declared access on the
 * parsed input (server/api/auth-middleware.ts).
 */
import { initTRPC, TRPCError } from "@trpc/server";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server";
import { z } from "zod";
import type { Access } from "../auth";
import { CofferError, type ErrorCode } from "../datastore/model/errors";
import { BackupNamespace, type GroupRef, type SnapshotRef } from "../datastore/model/names";
import { openDatastore, type HandleFor, type ReadHandle } from "../datastore";
import { errorData } from "./error-data";
import { errnoCode, redactPaths } from "./public-error";
import { createAuthenticate, createAuthorize, requestIsHttps, resolveCaller } from "./auth-middleware";
import type { Context, CookieBox, Meta } from "./context";

export type { Caller, Context, CookieBox, Meta } from "./context";

export type { Access, Privilege } from "../auth";

/** The context without a request, for `createCaller` in tests and server-side callers. */
export function createInnerContext(opts: Partial<Context> = {}): Context {
  return { ...opts };
}

/** Must equal scripts/front-door.mjs (a test checks it): the header the front door sets. */
export const CLIENT_ADDRESS_HEADER = "x-coffer-client-address";
/** Must equal scripts/front-door.mjs: set on globalThis by the server that runs the front door. */
export const FRONT_DOOR_MARK = Symbol.for("coffer.front-door");

/**
 * The client's address, only when the front door set it: under any other server (a bare
 * `next start`) the header could come from the client itself, so it is ignored and logins are
 * throttled per user name alone.
 */
function clientAddressOf(headers: Headers): string | undefined {
  if ((globalThis as Record<symbol, unknown>)[FRONT_DOOR_MARK] !== true) return undefined;
  return headers.get(CLIENT_ADDRESS_HEADER) ?? undefined;
}

/** The context of an HTTP request (the fetch adapter in app/api/trpc/[trpc]/route.ts). */
export function createRequestContext(opts: { req: Request; cookie?: CookieBox }): Context {
  const headers = opts.req.headers;
  const clientAddress = clientAddressOf(headers);
  return createInnerContext({
    headers,
    caller: resolveCaller(headers),
    secure: requestIsHttps(opts.req),
    ...(opts.cookie ? { cookie: opts.cookie } : {}),
    ...(clientAddress ? { clientAddress } : {}),
  });
}

/** One readable line per problem (`store: invalid datastore name ...`), not zod's JSON dump. */
function describeZodError(error: z.ZodError): string {
  return error.issues.map((i) => (i.path.length > 0 ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ");
}


const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    errorFormatter({ shape, error }) {
    // The engine's typed error, for the console to explain without parsing the message.
    const coffer = errorData(error.cause ?? error);
    if (error.code === "BAD_REQUEST" && error.cause instanceof z.ZodError) {
      // Forms can show zod's field errors next to their fields; everyone else gets one sentence.
      return {
        ...shape,
        message: describeZodError(error.cause),
        data: { ...shape.data, zodError: z.flattenError(error.cause), coffer },
      };
    }
    return { ...shape, data: { ...shape.data, zodError: null, coffer } };
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
  TOO_MANY_REQUESTS: "TOO_MANY_REQUESTS",
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
    // An engine error that only wraps a raw file-system error keeps that error's better code.
    const code = inner.code === "INTERNAL" ? (errnoCode(inner.cause) ?? "INTERNAL") : inner.code;
    return new TRPCError({ code: TRPC_CODE_OF[code], message: redactPaths(inner.message, inner), cause: inner });
  }
  if (inner instanceof TRPCError) {
    if (inner.cause instanceof Error && errnoCode(inner.cause) !== undefined) return toTRPCError(inner.cause);
    return inner;
  }
  const errno = errnoCode(inner);
  return new TRPCError({
    code: errno ? TRPC_CODE_OF[errno] : "INTERNAL_SERVER_ERROR",
    message: redactPaths(inner instanceof Error ? inner.message : String(inner), inner),
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
/** Error mapping only: for tests of the middlewares themselves. Routers use `procedure`. */
export const baseProcedure = t.procedure.use(errorMapping);

/**
 * COFFER_ALLOWED_ORIGINS: extra origins (comma-separated, e.g. `https://backup.example.com`)
 * whose mutations are accepted, for a reverse proxy that rewrites the Host header.
 */
const allowedOrigins = process.env.COFFER_ALLOWED_ORIGINS?.split(",")
  .map((o) => o.trim())
  .filter((o) => o !== "");

const authenticated = baseProcedure.use(createAuthenticate(allowedOrigins ? { allowedOrigins } : {}));
const authorize = createAuthorize();

/** The input of a procedure that takes none: nothing, or an empty object. */
export const noInput = z.strictObject({}).optional();

/**
 * Unknown keys are refused, at the top and (by declaration in schemas.ts) in nested objects:
 * an input field the procedure does not know is an attempt to steer something, never an
 * accident worth ignoring.
 */
function strict<I extends z.ZodType>(input: I): I {
  return (input instanceof z.ZodObject ? input.strict() : input) as I;
}

/**
 * The one way to build a procedure: declare its access and its input together. The chain is
 * error mapping -> authenticate (caller, same-origin; anonymous refused unless public) ->
 * input (strict zod) -> authorize (the access declaration, checked on the *parsed* input) ->
 * the resolver with `ctx.auth`. `path: "public"` is what really is public (auth.login).
 */
export function procedure<I extends z.ZodType = typeof noInput>(access: Access, input?: I) {
  return authenticated
    .meta({ access })
    .input(strict(input ?? (noInput as unknown as I)))
    .use(authorize);
}

/** What a datastore procedure's input names: the store, and maybe a namespace, group or snapshot. */
interface DatastoreInput {
  store: string;
  ns?: string;
  group?: GroupRef;
  snapshot?: SnapshotRef;
}

/**
 * A procedure on one datastore, for operation `op` (`read` or `write`; watching a store's
 * state needs no content and uses a lookup handle of its own, DESIGN.md 4): after `procedure`'s checks it
 * opens the handle for `op` (maintenance is checked and the operation counted), and closes it
 * on every path once the resolver is done. The resolver gets
 * - `ctx.ds`: the handle, typed for `op` (a read procedure cannot call a write method);
 * - `ctx.ns`: the input's namespace, parsed (the root when it names none);
 * - `ctx.requireOwner(ns, group)`: PBS's owner check for callers that came in only through
 *   Backup or Prune (nothing for the others).
 * When the input names a group or a snapshot, the owner check has already run for it before
 * the resolver starts: no group or snapshot procedure can forget it.
 */
export function datastoreProcedure<I extends z.ZodType<DatastoreInput>, O extends "read" | "write">(access: Access, op: O, input: I) {
  return procedure(access, input).use(async ({ ctx, input: parsed, next }) => {
    const { store, ns, group, snapshot } = parsed as DatastoreInput;
    const ds: ReadHandle = await openDatastore(store, op);
    try {
      const requireOwner = async (where: BackupNamespace, g: GroupRef): Promise<void> => {
        if (ctx.auth.ownerOnly) ctx.auth.checkOwner(await ds.groupOwner(where, { type: g.type, id: g.id }));
      };
      const where = BackupNamespace.parse(ns ?? "");
      const named = snapshot ?? group;
      if (named) await requireOwner(where, named);
      return await next({ ctx: { ds: ds as HandleFor<O>, ns: where, requireOwner } });
    } finally {
      await ds.close();
    }
  });
}
