import fc from "fast-check";
import { describe, expect, it } from "vitest";

import { CofferError } from "./errors";
import {
  MAINTENANCE_TYPES,
  checkMaintenance,
  checkMaintenanceMessage,
  formatMaintenanceProperty,
  parseMaintenanceProperty,
} from "./maintenance";
import type { MaintenanceType, Operation } from "./types";

function outcome(type: MaintenanceType, op: Operation, message?: string): string {
  try {
    checkMaintenance(message === undefined ? { type } : { type, message }, op);
    return "ok";
  } catch (err) {
    expect(err).toBeInstanceOf(CofferError);
    expect((err as CofferError).code).toBe("PRECONDITION_FAILED");
    return (err as Error).message;
  }
}

describe("checkMaintenance (reference 6.1)", () => {
  // Every type x every op, with PBS's exact texts.
  const matrix: Record<MaintenanceType, Record<Operation, string>> = {
    "read-only": { lookup: "ok", read: "ok", write: "read-only maintenance mode: disk swap" },
    offline: { lookup: "ok", read: "offline maintenance mode: disk swap", write: "offline maintenance mode: disk swap" },
    unmount: { lookup: "ok", read: "datastore is being unmounted", write: "datastore is being unmounted" },
    "s3-refresh": {
      lookup: "ok",
      read: "S3 refresh maintenance mode: disk swap",
      write: "S3 refresh maintenance mode: disk swap",
    },
    delete: { lookup: "datastore is being deleted", read: "datastore is being deleted", write: "datastore is being deleted" },
  };

  for (const type of MAINTENANCE_TYPES) {
    for (const op of ["lookup", "read", "write"] as const) {
      it(`${type} / ${op} -> ${matrix[type][op]}`, () => {
        expect(outcome(type, op, "disk swap")).toBe(matrix[type][op]);
      });
    }
  }

  it("allows everything without a maintenance mode", () => {
    for (const op of ["lookup", "read", "write"] as const) expect(() => checkMaintenance(undefined, op)).not.toThrow();
  });

  it("renders a missing message as the empty string, as PBS does", () => {
    expect(outcome("read-only", "write")).toBe("read-only maintenance mode: ");
    expect(outcome("offline", "read")).toBe("offline maintenance mode: ");
  });
});

describe("checkMaintenanceMessage", () => {
  it("accepts up to 64 characters, counting characters rather than bytes or UTF-16 units", () => {
    expect(checkMaintenanceMessage("")).toBe("");
    expect(checkMaintenanceMessage("x".repeat(64))).toBe("x".repeat(64));
    expect(checkMaintenanceMessage("🙂".repeat(64))).toBe("🙂".repeat(64)); // 128 UTF-16 units
    expect(checkMaintenanceMessage("disk swap, back at 14:00 (ask Ann)")).toContain("Ann");
  });

  it("refuses a longer message, saying how long it was and what is allowed", () => {
    expect(() => checkMaintenanceMessage("x".repeat(65))).toThrow(
      "maintenance message is too long: 65 characters, at most 64 are allowed",
    );
  });

  it("refuses control characters, naming the character and where it is", () => {
    expect(() => checkMaintenanceMessage("line one\nline two")).toThrow(
      "maintenance message contains a control character (\\x0a at position 9): use a single line of printable text",
    );
    for (const c of ["\u0000", "\t", "\u001b", "\u007f", "\u0085"]) {
      const err = (() => {
        try {
          checkMaintenanceMessage(`a${c}`);
        } catch (e) {
          return e as CofferError;
        }
      })();
      expect(err?.code).toBe("BAD_REQUEST");
    }
  });
});

describe("PBS maintenance-mode property string", () => {
  it("parses PBS's forms", () => {
    expect(parseMaintenanceProperty("read-only,message=disk%20swap")).toEqual({ type: "read-only", message: "disk swap" });
    expect(parseMaintenanceProperty("type=offline")).toEqual({ type: "offline" });
    expect(parseMaintenanceProperty("message=a%2Cb%3Dc,offline")).toEqual({ type: "offline", message: "a,b=c" });
    expect(parseMaintenanceProperty("offline,message=100%")).toEqual({ type: "offline", message: "100%" });
    expect(parseMaintenanceProperty("offline,message=%C3%A9t%C3%A9")).toEqual({ type: "offline", message: "été" });
    expect(parseMaintenanceProperty("offline,message=%FF")).toEqual({ type: "offline", message: "\uFFFD" });
  });

  it("refuses what PBS cannot parse, saying why", () => {
    expect(() => parseMaintenanceProperty("")).toThrow(/the type is missing/);
    expect(() => parseMaintenanceProperty("read-write")).toThrow(/unknown type 'read-write'/);
    expect(() => parseMaintenanceProperty("offline,colour=red")).toThrow(/unknown property 'colour'/);
    expect(() => parseMaintenanceProperty("offline,type=read-only")).toThrow(/type is given twice/);
  });

  it("formats as PBS writes it", () => {
    expect(formatMaintenanceProperty({ type: "read-only", message: "disk swap" })).toBe("read-only,message=disk%20swap");
    expect(formatMaintenanceProperty({ type: "offline" })).toBe("offline");
  });

  it("round-trips every type and every message", () => {
    const mode = fc.record(
      {
        type: fc.constantFrom(...MAINTENANCE_TYPES),
        message: fc.string({ unit: "binary", maxLength: 64 }).filter((s) => s.isWellFormed()),
      },
      { requiredKeys: ["type"] },
    );
    fc.assert(
      fc.property(mode, (m) => {
        expect(parseMaintenanceProperty(formatMaintenanceProperty(m))).toEqual(m);
      }),
      { numRuns: 300 },
    );
  });
});
