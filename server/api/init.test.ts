import { TRPCError } from "@trpc/server";
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { CofferError, LockConflictError, type ErrorCode } from "../datastore/model/errors";
import { createCallerFactory, createInnerContext, isUnexpected, baseProcedure, router, toTRPCError } from "./init";

describe("toTRPCError", () => {
  it.each<[ErrorCode, string]>([
    ["NOT_FOUND", "NOT_FOUND"],
    ["CONFLICT", "CONFLICT"],
    ["PRECONDITION_FAILED", "PRECONDITION_FAILED"],
    ["FORBIDDEN", "FORBIDDEN"],
    ["UNAUTHORIZED", "UNAUTHORIZED"],
    ["BAD_REQUEST", "BAD_REQUEST"],
    ["INTERNAL", "INTERNAL_SERVER_ERROR"],
  ])("maps engine code %s to %s and keeps the message", (code, trpcCode) => {
    const mapped = toTRPCError(new CofferError(code, "while doing x: it broke"));
    expect(mapped.code).toBe(trpcCode);
    expect(mapped.message).toBe("while doing x: it broke");
    expect(mapped.cause).toBeInstanceOf(CofferError);
  });

  it("maps a lock conflict to CONFLICT", () => {
    const err = new LockConflictError("unable to acquire backup group lock", "/x", []);
    expect(toTRPCError(err).code).toBe("CONFLICT");
  });

  it("unwraps an engine error that tRPC has already wrapped", () => {
    const wrapped = new TRPCError({ code: "INTERNAL_SERVER_ERROR", cause: new CofferError("NOT_FOUND", "gone") });
    expect(toTRPCError(wrapped).code).toBe("NOT_FOUND");
  });

  it("treats anything else as an unexpected server error", () => {
    const mapped = toTRPCError(new Error("EIO: i/o error"));
    expect(mapped.code).toBe("INTERNAL_SERVER_ERROR");
    expect(isUnexpected(mapped)).toBe(true);
  });
});

describe("the error-mapping middleware", () => {
  const testRouter = router({
    missing: baseProcedure.query(() => {
      throw new CofferError("NOT_FOUND", "no such datastore 'nope'");
    }),
    broken: baseProcedure.query(() => {
      throw new Error("disk on fire");
    }),
    echo: baseProcedure.input(z.object({ n: z.number() })).query(({ input }) => input.n),
  });
  const call = createCallerFactory(testRouter)(createInnerContext());

  afterEach(() => vi.restoreAllMocks());

  it("turns an engine error into its tRPC code without logging it", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    await expect(call.missing()).rejects.toMatchObject({ code: "NOT_FOUND", message: "no such datastore 'nope'" });
    expect(log).not.toHaveBeenCalled();
  });

  it("logs an unexpected error once", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    await expect(call.broken()).rejects.toMatchObject({ code: "INTERNAL_SERVER_ERROR" });
    expect(log).toHaveBeenCalledTimes(1);
  });

  it("answers invalid input with BAD_REQUEST without logging", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    // @ts-expect-error: the wrong type is the point of the test
    await expect(call.echo({ n: "one" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    expect(log).not.toHaveBeenCalled();
  });
});

describe("errors over HTTP", () => {
  const testRouter = router({
    echo: baseProcedure.input(z.object({ store: z.string().min(3, "too short") })).query(({ input }) => input.store),
  });

  it("answers invalid input with one readable message and the field errors", async () => {
    const { fetchRequestHandler } = await import("@trpc/server/adapters/fetch");
    const input = encodeURIComponent(JSON.stringify({ store: "x" }));
    const res = await fetchRequestHandler({
      endpoint: "/api/trpc",
      req: new Request(`http://localhost/api/trpc/echo?input=${input}`),
      router: testRouter,
      createContext: () => createInnerContext(),
    });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error.message).toBe("store: too short");
    expect(body.error.data.zodError.fieldErrors).toEqual({ store: ["too short"] });
  });
});
