import { describe, expect, it } from "vitest";
import { explainError } from "./explainError";

/** An error as the tRPC client has it; the message is deliberately not the engine's English. */
function trpcError(code: string, coffer: unknown) {
  return Object.assign(new Error("(message the console must not parse)"), { data: { code, coffer } });
}

describe("explainError", () => {
  it("explains a lock conflict from the typed data: who holds which lock, since when", () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 0);
    const e = trpcError("CONFLICT", {
      code: "CONFLICT",
      lock: {
        kind: "backup group",
        name: "run/locks/demo/vm-100",
        holders: [{ pid: 42, mode: "exclusive", since: now - 75_000, task: { upid: "UPID:x", type: "move-group", user: "root@pam", description: "Move group vm/100 in root to 'b' (demo)" } }],
      },
    });
    const got = explainError(e, now);
    expect(got.message).toMatch(/^It is in use: the task “Move group vm\/100 in root to 'b' \(demo\)” started by root@pam holds the backup group lock, since .* \(75 s\)\. Try again once it has finished\.$/);
    expect(got.detail).toBe("(message the console must not parse)");
  });

  it("names a process when no task holds the lock", () => {
    const got = explainError(trpcError("CONFLICT", { code: "CONFLICT", lock: { name: "x", holders: [{ pid: 7, mode: "shared", since: 0 }] } }), 1000);
    expect(got.message).toMatch(/^It is in use: another process \(pid 7\) holds a lock \(shared\)/);
  });

  it("quotes the admin's maintenance message", () => {
    const got = explainError(trpcError("PRECONDITION_FAILED", { code: "PRECONDITION_FAILED", maintenance: { store: "demo", mode: "read-only", message: "disk swap" } }));
    expect(got.message).toBe("The datastore is in read-only maintenance, so this is refused until the mode is cleared. The administrator's message: “disk swap”.");
  });

  it("passes other errors through as they are", () => {
    expect(explainError(trpcError("NOT_FOUND", { code: "NOT_FOUND" })).message).toBe("(message the console must not parse)");
    expect(explainError(new Error("plain")).message).toBe("plain");
  });
});
