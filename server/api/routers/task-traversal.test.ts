/**
 * Red-team regression (issue 9.4): a UPID is network input. PBS's regex lets `/` through in the
 * worker type, and the task log used to be read from a path built of the raw string, so a user
 * with no ACL entry at all read a file outside COFFER_HOME through task.log. Every task
 * procedure must refuse such a UPID before touching the file system.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser } from "../../auth";
import { paths } from "../../config/paths";
import { callerAs, useDemoHome } from "../test-support";

useDemoHome();

const USER = "nobody@pbs";
let outside = "";
let upid = "";

beforeAll(async () => {
  await createUser(USER, { password: "nobody-secret" });
  outside = mkdtempSync(path.join(os.tmpdir(), "coffer-outside-"));
  // The last path component a UPID can name ends in `:<auth id>:`; the attacker's own id passes
  // the "own tasks only" check.
  const secretName = `secret::${USER}:`;
  mkdirSync(outside, { recursive: true });
  writeFileSync(path.join(outside, secretName), "2026-01-01T00:00:00+00:00: TOP SECRET\n");
  const head = "UPID:localhost:00000001:00000001:00000000:00000000:a";
  const from = path.join(paths.tasks(), "01", head);
  const rel = path.relative(from, outside);
  upid = `${head}/${rel}/secret::${USER}:`;
  // The crafted UPID really points outside COFFER_HOME when joined naively (as the old code did).
  expect(path.join(paths.tasks(), "01", upid)).toBe(path.join(outside, secretName));
});

afterAll(() => rmSync(outside, { recursive: true, force: true }));

async function refusal(call: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    const result = await call;
    if (result && typeof (result as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function") {
      for await (const event of result as AsyncIterable<unknown>) return { message: `streamed ${JSON.stringify(event)}` };
    }
    return { message: `answered ${JSON.stringify(result)}` };
  } catch (err) {
    const e = err as { code?: string; message: string };
    return { code: e.code, message: e.message };
  }
}

describe("a UPID with a path in its worker type", () => {
  it("is refused by task.log, task.status, task.stop and task.follow without reading the file", async () => {
    const call = callerAs(USER);
    for (const [name, p] of [
      ["log", () => call.task.log({ upid })],
      ["status", () => call.task.status({ upid })],
      ["stop", () => call.task.stop({ upid })],
      ["follow", () => call.task.follow({ upid })],
    ] as const) {
      const got = await refusal(p());
      expect(got.code, `${name}: ${got.message}`).toBe("BAD_REQUEST");
      expect(got.message, name).toMatch(/unable to parse UPID/);
      expect(got.message, name).not.toContain("TOP SECRET");
    }
  });
});
