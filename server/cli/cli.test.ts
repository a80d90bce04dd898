import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const bin = path.join(repo, "bin", "coffer");
const tmpBase = existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir();

let home: string;
let cwd: string;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function coffer(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const p = spawn(bin, args, { cwd, env: { ...process.env, COFFER_HOME: home, ...env } });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("error", reject);
    p.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Every path below `dir` with its mtime, to prove a refused command changed nothing. Lock
 * directories under run/ change their mtime whenever a lock is taken and given back, so there
 * only the names count.
 */
function snapshotTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const volatile = p.startsWith(path.join(home, "run"));
      out.push(volatile ? p : `${p} ${statSync(p).mtimeMs}`);
      if (e.isDirectory() && e.name !== ".chunks") walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

beforeAll(async () => {
  home = mkdtempSync(path.join(tmpBase, "coffer-cli-home-"));
  cwd = mkdtempSync(path.join(tmpBase, "coffer-cli-cwd-"));
  const r = await coffer(["datastore", "create", "store1"]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect((await coffer(["namespace", "create", "store1", "a"])).code).toBe(0);
}, 60_000);

afterAll(() => {
  rmSync(home, { recursive: true, force: true });
  rmSync(cwd, { recursive: true, force: true });
});

describe("coffer CLI", () => {
  it("creates, lists and shows things as text and as one JSON document", async () => {
    const list = await coffer(["datastore", "list", "--output-format", "json"]);
    expect(list.code).toBe(0);
    const stores = JSON.parse(list.stdout);
    expect(stores).toEqual([{ name: "store1", path: path.join(home, "datastores", "store1") }]);

    expect((await coffer(["namespace", "create", "store1", "a/b"])).code).toBe(0);
    const ns = await coffer(["namespace", "list", "store1", "--output-format=json"]);
    expect(JSON.parse(ns.stdout)).toEqual([{ ns: "" }, { ns: "a" }, { ns: "a/b" }]);
    const nsText = await coffer(["namespace", "list", "store1", "--ns", "a", "--max-depth", "0"]);
    expect(nsText.stdout).toContain("a");
    expect(nsText.stdout).not.toContain("a/b");

    const groups = await coffer(["group", "list", "store1", "--ns", "a", "--output-format", "json"]);
    expect(JSON.parse(groups.stdout)).toEqual([]);
    const snaps = await coffer(["snapshot", "list", "store1", "--ns", "", "--output-format", "json"]);
    expect(JSON.parse(snaps.stdout)).toEqual([]);

    const del = await coffer(["namespace", "delete", "store1", "a/b"]);
    expect(del.code).toBe(0);
    expect(del.stdout).toContain("deleted namespace 'a/b'");
  });

  it("sets, shows and clears maintenance", async () => {
    const set = await coffer(["maintenance", "set", "store1", "read-only", "--message", "disk swap"]);
    expect(set.code).toBe(0);
    const show = await coffer(["maintenance", "show", "store1", "--output-format", "json"]);
    expect(JSON.parse(show.stdout)).toEqual({
      mode: "read-only",
      message: "disk swap",
      "active-operations": { read: 0, write: 0 },
    });
    const refused = await coffer(["namespace", "create", "store1", "c"]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("datastore 'store1' is unavailable: read-only maintenance mode: disk swap");
    expect((await coffer(["namespace", "list", "store1"])).code).toBe(0);
    expect((await coffer(["maintenance", "clear", "store1"])).code).toBe(0);
    const cleared = await coffer(["maintenance", "show", "store1", "--output-format", "json"]);
    expect(JSON.parse(cleared.stdout).mode).toBeNull();
  });

  const long = "x".repeat(300);
  const badInputs: [string, string[], RegExp][] = [
    ["datastore name with ..", ["datastore", "create", "../evil"], /invalid datastore name/],
    ["datastore name with /", ["datastore", "create", "a/b"], /invalid datastore name/],
    ["datastore name too short", ["datastore", "create", "ab"], /invalid datastore name 'ab': use 3 to 32 characters/],
    ["datastore name of 300 characters", ["datastore", "create", long], /invalid datastore name/],
    ["datastore name with a control character", ["datastore", "create", "ab\u0007c"], /invalid datastore name 'ab\\x07c'/],
    ["namespace ..", ["namespace", "create", "store1", ".."], /not a valid namespace component: \.\./],
    ["namespace a/..", ["namespace", "create", "store1", "a/.."], /not a valid namespace component/],
    ["absolute namespace", ["namespace", "create", "store1", "/etc"], /not a valid namespace component/],
    ["namespace with control characters", ["namespace", "create", "store1", "a\u001bb"], /not a valid namespace component: a\\x1bb/],
    ["namespace of 300 characters", ["namespace", "create", "store1", long], /namespace length exceeded/],
    ["namespace component of 33 characters", ["namespace", "create", "store1", "y".repeat(33)], /use 1 to 32 characters/],
    ["namespace depth 8", ["namespace", "create", "store1", "1/2/3/4/5/6/7/8"], /namespace too deep, 7 >= max 7/],
    ["listing below ..", ["group", "list", "store1", "--ns", "../../etc"], /not a valid namespace component/],
    ["unknown backup type", ["snapshot", "list", "store1", "--group", "qemu/100"], /invalid backup group 'qemu\/100'/],
    ["group id with ..", ["snapshot", "list", "store1", "--group", "vm/../x"], /invalid backup group/],
    ["max-depth 8", ["namespace", "list", "store1", "--max-depth", "8"], /between 0 and 7/],
    ["unknown maintenance mode", ["maintenance", "set", "store1", "frozen"], /expected read-only or offline/],
    ["maintenance message too long", ["maintenance", "set", "store1", "offline", "--message", "m".repeat(65)], /64/],
    ["maintenance message with a control character", ["maintenance", "set", "store1", "offline", "--message", "a\u0007"], /control/],
    ["unknown datastore", ["group", "list", "nosuch"], /no such datastore 'nosuch'/],
    ["unknown option", ["group", "list", "store1", "--frobnicate"], /unknown option '--frobnicate'; allowed options: /],
    ["bad snapshot time", ["debug", "hold-lock", "store1", "vm/100/yesterday", "--seconds", "1"], /invalid snapshot/],
    ["reusing a directory that is no datastore", ["datastore", "create", "other", "--path", "sub", "--reuse"], /cannot reuse/],
    ["missing argument", ["namespace", "create", "store1"], /missing argument <ns>/],
    ["unknown command", ["frobnicate"], /unknown command 'frobnicate'/],
    // Inputs the API refuses are refused here too (one validation, server/datastore/schemas.ts).
    ["a namespace that does not exist", ["group", "list", "store1", "--ns", "missing"], /namespace 'missing' does not exist/],
    ["snapshots of a namespace that does not exist", ["snapshot", "list", "store1", "--ns", "missing"], /namespace 'missing' does not exist/],
    ["a 40-character namespace component", ["group", "list", "store1", "--ns", "z".repeat(40)], /invalid namespace name 'z{40}': use 1 to 32 characters/],
    ["a keep count beyond the limit", ["prune", "store1", "vm/100", "--keep-last", "99999999999999999999", "--dry-run"], /between 1 and 100000/],
    ["a backup id of 300 characters", ["snapshot", "list", "store1", "--group", `vm/${long}`], /at most 255 characters \(it is 300\)/],
  ];

  it.each(badInputs)("refuses %s with a clear error and changes nothing", async (_what, args, message) => {
    const before = [...snapshotTree(home), ...snapshotTree(cwd)];
    const r = await coffer(args);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(message);
    expect([...snapshotTree(home), ...snapshotTree(cwd)]).toEqual(before);
  });

  it("holds a lock for debugging and reports the holder to others", async () => {
    expect((await coffer(["namespace", "create", "store1", "held"])).code).toBe(0);
    // make a group to lock: a group directory with an owner
    const { mkdirSync, writeFileSync } = await import("node:fs");
    mkdirSync(path.join(home, "datastores/store1/ns/held/vm/100"), { recursive: true });
    writeFileSync(path.join(home, "datastores/store1/ns/held/vm/100/owner"), "root@pam\n");
    const holder = spawn(bin, ["debug", "hold-lock", "store1", "--ns", "held", "vm/100", "--seconds", "30"], {
      cwd,
      env: { ...process.env, COFFER_HOME: home },
    });
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on("data", (d) => String(d).includes("locked") && resolve());
        holder.on("exit", () => reject(new Error("holder exited early")));
      });
      const second = await coffer(["debug", "hold-lock", "store1", "--ns", "held", "vm/100", "--seconds", "1"]);
      expect(second.code).not.toBe(0);
      expect(second.stderr).toMatch(new RegExp(`unable to acquire backup group lock .*held by pid ${holder.pid} for \\d+ s`));
    } finally {
      holder.kill("SIGTERM");
    }
    await new Promise((r) => holder.on("exit", r));
  });
});
