/**
 * Moves through the real CLI: reliability test 3 (a group held by `coffer debug hold-lock` is
 * deferred, retried once, reported, and keeps its namespace while everything else moves) and
 * test 4 (every error text of reference 4.2 and 4.4, each refused pre-flight check creating no
 * task).
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BackupNamespace } from "../datastore/model/names";
import { useTempStore, withWrite, writeSnapshot, type TempStore } from "../datastore/test-support/temp-store";

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../bin/coffer");
const T0 = 1_700_000_000;
let t: TempStore;

function coffer(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(bin, args, { env: { ...process.env } });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("error", reject);
    p.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

async function taskCount(): Promise<number> {
  const r = await coffer(["task", "list", "--all", "--output-format", "json"]);
  return JSON.parse(r.stdout).length;
}

beforeAll(async () => {
  t = await useTempStore("movecli");
  await withWrite(t.name, async (ds) => {
    for (const n of ["src", "src/sub", "dst", "other", "owners", "times", "times2"]) {
      const p = BackupNamespace.parse(n);
      await ds.createNamespace(p.parent(), p.name);
    }
    await writeSnapshot(ds, "src", "vm/100", T0);
    await writeSnapshot(ds, "src", "vm/101", T0);
    await writeSnapshot(ds, "src/sub", "ct/200", T0);
    await writeSnapshot(ds, "other", "vm/300", T0);
    await writeSnapshot(ds, "dst", "vm/300", T0 - 60);
    await writeSnapshot(ds, "owners", "vm/300", T0 + 60, { owner: "alice@pbs" });
    await writeSnapshot(ds, "times", "vm/300", T0 - 60); // as old as the target's newest: conflict
  });
}, 60_000);

afterAll(async () => {
  await t?.cleanup();
});

describe("move through the CLI", () => {
  const cases: [string, string[], string][] = [
    ["same namespace", ["group", "move", "movecli", "vm/300", "--ns", "other", "--target-ns", "other"], "source and target namespace must be different"],
    ["missing target", ["group", "move", "movecli", "vm/300", "--ns", "other", "--target-ns", "nope"], "target namespace 'nope' does not exist"],
    ["missing group", ["group", "move", "movecli", "ct/9", "--ns", "other", "--target-ns", "dst"], "group 'ct/9' does not exist in namespace 'other'"],
    ["merge disabled", ["group", "move", "movecli", "vm/300", "--ns", "other", "--target-ns", "dst", "--merge-group", "false"], "group 'vm/300' already exists in target namespace 'dst' and merge-group is disabled"],
    ["root namespace", ["namespace", "move", "movecli", "", "--target-ns", "x"], "cannot move root namespace"],
    ["same namespace", ["namespace", "move", "movecli", "src", "--target-ns", "src"], "source and target namespace must be different"],
    ["missing source", ["namespace", "move", "movecli", "nope", "--target-ns", "x"], "source namespace 'nope' does not exist"],
    ["missing target parent", ["namespace", "move", "movecli", "src", "--target-ns", "no/such"], "target parent namespace 'no' does not exist"],
    ["own subtree", ["namespace", "move", "movecli", "src", "--target-ns", "src/sub/deeper"], "cannot move namespace 'src' into its own subtree (target: 'src/sub/deeper')"],
  ];
  it.each(cases)("refuses before any task exists: %s", async (_what, args, message) => {
    const before = await taskCount();
    const r = await coffer(args);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(message);
    expect(r.stdout).not.toContain("UPID:");
    expect(await taskCount()).toBe(before);
  });

  it("ends the task with the owner-mismatch text of reference 4.4", async () => {
    const r = await coffer(["group", "move", "movecli", "vm/300", "--ns", "owners", "--target-ns", "dst"]);
    expect(r.code).toBe(1);
    expect(r.stdout.split("\n")[0]).toMatch(/^UPID:/);
    expect(r.stdout).toContain(
      "TASK ERROR: cannot merge group 'vm/300' from 'owners' into 'dst': owner mismatch (source: alice@pbs, target: root@pam)",
    );
  });

  it("ends the task with the snapshot-time-mismatch text and the two info lines", async () => {
    const r = await coffer(["group", "move", "movecli", "vm/300", "--ns", "times", "--target-ns", "dst"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("oldest source snapshot: 2023-11-14T22:12:20Z");
    expect(r.stdout).toContain("conflicting target snapshot: 2023-11-14T22:12:20Z");
    expect(r.stdout).toContain("TASK ERROR: cannot merge group 'vm/300' from 'times' into 'dst': snapshot time mismatch");
  });

  it("defers a group held by `debug hold-lock`, retries once, reports it, moves the rest", async () => {
    const holder = spawn(bin, ["debug", "hold-lock", "movecli", "--ns", "src", "vm/101", "--seconds", "120"], {
      env: { ...process.env },
    });
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on("data", (d) => String(d).includes("locked") && resolve());
        holder.on("exit", () => reject(new Error("hold-lock exited early")));
      });
      const r = await coffer(["namespace", "move", "movecli", "src", "--target-ns", "dst/src"]);
      expect(r.code).toBe(1);
      const out = r.stdout;
      expect(out).toMatch(/deferring group 'vm\/101' in 'src' - lock conflict, will retry: unable to acquire backup group lock .* held by pid \d+/);
      expect(out).toContain("retrying 1 deferred group(s)...");
      expect(out).toMatch(/still locked after retry: group 'vm\/101' in 'src': /);
      expect(out).toContain("skipping source namespace 'src' cleanup: contains group(s) that failed to move");
      expect(out).toContain(
        "TASK ERROR: namespace move partially completed; 1 group(s) could not be moved and remain at source; 1 still lock-conflicted (rerun move-namespace or move-group may succeed): 'vm/101' in 'src'",
      );
      const left = JSON.parse((await coffer(["group", "list", "movecli", "--ns", "src", "--output-format", "json"])).stdout);
      expect(left.map((g: { "backup-id": string }) => g["backup-id"])).toEqual(["101"]);
      const moved = JSON.parse((await coffer(["group", "list", "movecli", "--ns", "dst/src", "--output-format", "json"])).stdout);
      expect(moved.map((g: { "backup-id": string }) => g["backup-id"])).toEqual(["100"]);
      const sub = JSON.parse((await coffer(["group", "list", "movecli", "--ns", "dst/src/sub", "--output-format", "json"])).stdout);
      expect(sub.map((g: { "backup-id": string }) => g["backup-id"])).toEqual(["200"]);
    } finally {
      holder.kill("SIGTERM");
      await new Promise((r) => holder.on("exit", r));
    }
    // With the lock released, the same command finishes the job.
    const again = await coffer(["namespace", "move", "movecli", "src", "--target-ns", "dst/src"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("TASK OK");
    const ns = JSON.parse((await coffer(["namespace", "list", "movecli", "--output-format", "json"])).stdout);
    expect(ns.map((n: { ns: string }) => n.ns)).not.toContain("src");
  });
});
