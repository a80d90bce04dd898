import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_KEEP_COUNT } from "../datastore/model/schemas";

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
  writeFileSync(path.join(cwd, "source.conf"), "a small file to back up\n");
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

  it("changes how a datastore compresses new chunks, and says what it takes when the value is wrong", async () => {
    const made = await coffer(["datastore", "create", "zstore", "--compression-level", "4"]);
    expect(made).toMatchObject({ code: 0 });
    const none = await coffer(["datastore", "update", "zstore", "--compression", "none", "--comment", "plain"]);
    expect(none).toMatchObject({ code: 0, stdout: "updated datastore 'zstore': new chunks uncompressed, comment 'plain'\n" });
    const list = await coffer(["datastore", "list"]);
    expect(list.stdout).toMatch(/^zstore +\S+ +filesystem +none +- +plain$/m);
    for (const [args, says] of [
      [["--compression-level", "3"], "datastore 'zstore' stores chunks uncompressed: set compression zstd to use a level"],
      [["--compression-level", "x3"], "invalid compression level 'x3': use a zstd level from 1 to 19 (default 2)"],
      [["--compression", "lz4"], "invalid compression 'lz4': use zstd (the default) or none"],
      [[], "nothing to change: give a comment, a compression (zstd or none) or a compression level"],
    ] as const) {
      const r = await coffer(["datastore", "update", "zstore", ...args]);
      expect(r).toMatchObject({ code: 1, stderr: `coffer: ${says}\n` });
    }
    const back = await coffer(["datastore", "update", "zstore", "--compression", "zstd", "--compression-level", "3"]);
    expect(back.stdout).toBe("updated datastore 'zstore': new chunks zstd level 3, comment 'plain'\n");
    expect((await coffer(["datastore", "remove", "zstore", "--destroy-data"])).code).toBe(0);
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
    ["namespace ..", ["namespace", "create", "store1", ".."], /invalid namespace '\.\.': '\.\.' is not a valid name; use 1 to 32 characters of A-Z a-z 0-9 _ \. -/],
    ["namespace a/..", ["namespace", "create", "store1", "a/.."], /'\.\.' is not a valid name; use 1 to 32 characters/],
    ["absolute namespace", ["namespace", "create", "store1", "/etc"], /separate the names with single slashes, with none at the start or the end/],
    ["namespace with control characters", ["namespace", "create", "store1", "a\u001bb"], /'a\\x1bb' is not a valid name/],
    ["namespace of 300 characters", ["namespace", "create", "store1", long], /is not a valid name; use 1 to 32 characters/],
    ["namespace component of 33 characters", ["namespace", "create", "store1", "y".repeat(33)], /use 1 to 32 characters/],
    ["namespace depth 8", ["namespace", "create", "store1", "1/2/3/4/5/6/7/8"], /namespaces go at most 7 levels deep; this one has 8/],
    ["the root namespace", ["namespace", "create", "store1", ""], /the root namespace always exists/],
    ["listing below ..", ["group", "list", "store1", "--ns", "../../etc"], /'\.\.' is not a valid name/],
    ["unknown backup type", ["snapshot", "list", "store1", "--group", "qemu/100"], /invalid backup group 'qemu\/100'/],
    ["group id with ..", ["snapshot", "list", "store1", "--group", "vm/../x"], /invalid backup group/],
    ["max-depth 8", ["namespace", "list", "store1", "--max-depth", "8"], /option --max-depth takes a whole number from 0 to 7, not 8/],
    ["unknown maintenance mode", ["maintenance", "set", "store1", "frozen"], /invalid maintenance mode 'frozen': use read-only or offline/],
    ["maintenance message too long", ["maintenance", "set", "store1", "offline", "--message", "m".repeat(65)], /64/],
    ["maintenance message with a control character", ["maintenance", "set", "store1", "offline", "--message", "a\u0007"], /control/],
    ["unknown datastore", ["group", "list", "nosuch"], /no such datastore 'nosuch'/],
    ["unknown option", ["group", "list", "store1", "--frobnicate"], /unknown option '--frobnicate'; allowed options: /],
    ["bad snapshot time", ["debug", "hold-lock", "store1", "vm/100/yesterday", "--seconds", "1"], /invalid snapshot/],
    ["reusing a directory that is no datastore", ["datastore", "create", "other", "--path", "sub", "--reuse"], /cannot reuse/],
    ["missing argument", ["namespace", "create", "store1"], /missing argument <ns>/],
    ["unknown command", ["frobnicate"], /unknown command 'frobnicate'/],
    ["a missing required option", ["group", "move", "store1", "vm/100", "--dry-run"], /missing option --target-ns NS \(the namespace to move to; --target-ns "" is the root namespace\)/],
    // Values the task's own zod schema would refuse are refused by the CLI first, in words (no "Too big").
    ["a rate beyond the limit", ["backup", "store1", "vm/100", "a.conf=source.conf", "--rate", "99999999"], /option --rate takes MiB\/s, a number above 0 and at most 1048576, not '99999999'/],
    ["a chunk size that is no power of two", ["backup", "store1", "vm/100", "a.conf=source.conf", "--chunk-size", "1000"], /option --chunk-size takes a power of two from 64 to 4096 \(KiB\), not '1000'/],
    ["a chunk size above 4 MiB", ["backup", "store1", "vm/100", "a.conf=source.conf", "--chunk-size", "8192"], /not '8192'/],
    ["a backup time after 9999", ["backup", "store1", "vm/100", "a.conf=source.conf", "--backup-time", "99999999999999"], /up to 9999-12-31T23:59:59Z/],
    ["an outdated-after beyond the limit", ["verify", "store1", "--outdated-after", "99999999999999999999"], /option --outdated-after takes a whole number from 0 to 36500/],
    ["a non-number for a count", ["prune", "store1", "vm/100", "--keep-last", "NaN"], /option --keep-last takes a whole number from 1 to 100000, not 'NaN'/],
    // Inputs the API refuses are refused here too (one validation, server/datastore/schemas.ts).
    ["a namespace that does not exist", ["group", "list", "store1", "--ns", "missing"], /namespace 'missing' does not exist/],
    ["snapshots of a namespace that does not exist", ["snapshot", "list", "store1", "--ns", "missing"], /namespace 'missing' does not exist/],
    ["a 40-character namespace component", ["group", "list", "store1", "--ns", "z".repeat(40)], /'z{40}' is not a valid name; use 1 to 32 characters/],
    ["a keep count beyond the limit", ["prune", "store1", "vm/100", "--keep-last", "99999999999999999999", "--dry-run"], /from 1 to 100000/],
    ["a backup id of 300 characters", ["snapshot", "list", "store1", "--group", `vm/${long}`], /at most 255 characters \(it is 300\)/],
  ];

  it.each(badInputs)("refuses %s with a clear error and changes nothing", async (_what, args, message) => {
    const before = [...snapshotTree(home), ...snapshotTree(cwd)];
    const r = await coffer(args);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(message);
    // One error prefix, and no validation library's own words.
    expect(r.stderr.split("\n")[0]).toMatch(/^coffer: \S/);
    expect(r.stderr).not.toMatch(/^(Error|error):|Too big|Too small|expected number|received NaN|Invalid input/m);
    expect([...snapshotTree(home), ...snapshotTree(cwd)]).toEqual(before);
  });

  it("holds a lock for debugging and reports the holder to others", async () => {
    expect((await coffer(["namespace", "create", "store1", "held"])).code).toBe(0);
    // make a group to lock: a group directory with an owner
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

/** The commands `coffer --help` lists, as their words (`["group", "move"]`). */
function listedCommands(help: string): string[][] {
  const section = help.split("\nCommands:\n")[1]!.split("\n\n")[0]!;
  return section.split("\n").map((l) => l.trim().split(/\s{2,}/)[0]!.split(" "));
}

/** Runs `fn` over `items` a few at a time: dozens of CLI processes at once starve a loaded machine. */
async function inBatches<T, R>(items: T[], fn: (item: T) => Promise<R>, size = 4): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
}

const flagsOf = (text: string) => new Set([...text.matchAll(/--[a-z][a-z-]*/g)].map((m) => m[0]));

describe("coffer reads well for a new user", () => {
  it("prints its version with --version, from the bundle and from the sources alike", async () => {
    const { version } = JSON.parse(readFileSync(path.join(repo, "package.json"), "utf8")) as { version: string };
    const [bundled, fromSource] = await Promise.all([coffer(["--version"]), coffer(["--version"], { COFFER_FROM_SOURCE: "1" })]);
    for (const r of [bundled, fromSource]) expect(r).toEqual({ code: 0, stdout: `coffer ${version}\n`, stderr: "" });
  });

  it("answers an unknown command with one line and a hint, and suggests the obvious one", async () => {
    const [unknown, typo, subTypo, option] = await Promise.all([
      coffer(["frobnicate", "list"]),
      coffer(["grop", "list", "store1"]),
      coffer(["group", "lst", "store1"]),
      coffer(["--verbose"]),
    ]);
    for (const r of [unknown, typo, subTypo, option]) {
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
    }
    expect(unknown.stderr).toBe("coffer: unknown command 'frobnicate'. Run 'coffer --help' for the list of commands.\n");
    expect(typo.stderr).toBe("coffer: unknown command 'grop'; did you mean 'coffer group'? Run 'coffer --help' for the list of commands.\n");
    expect(subTypo.stderr).toMatch(/^coffer: unknown command 'group lst'; did you mean 'coffer group list'\?\nCommands of 'coffer group':\n  coffer group list  .*\n  coffer group move  /);
    expect(option.stderr).toBe("coffer: unknown option '--verbose'. Run 'coffer --help' for the list of commands.\n");
  });

  it("takes a typo after a command that has subcommands for the subcommand, not for an extra argument", async () => {
    const [typo, bare, extra] = await Promise.all([coffer(["gc", "stauts", "store1"]), coffer(["gc", "stauts"]), coffer(["gc", "store1", "extra"])]);
    expect(typo.code).toBe(2);
    expect(typo.stdout).toBe("");
    const [first, ...list] = typo.stderr.trimEnd().split("\n");
    expect(first).toBe("coffer: unknown command 'gc stauts'; did you mean 'coffer gc status'?");
    expect(list[0]).toBe("Commands of 'coffer gc':");
    expect(list.map((l) => l.trim().split(/\s{2,}/)[0])).toEqual(expect.arrayContaining(["coffer gc", "coffer gc status"]));
    expect(typo.stderr).not.toMatch(/unexpected argument/);
    // One word is a valid `gc <store>`: a store may be called so; when none is, the error says what was meant.
    expect(bare.code).toBe(1);
    expect(bare.stderr).toBe("coffer: no such datastore 'stauts' (did you mean 'coffer gc status'?)\n");
    // A word unlike any subcommand is what it looks like: an argument too many.
    expect(extra.code).toBe(2);
    expect(extra.stderr).toMatch(/^coffer: unexpected argument 'extra'\nUsage: coffer gc <store>/);
  });

  it("lists every command on one line each, and each noun's commands when only the noun is given", async () => {
    const top = await coffer(["--help"]);
    expect(top.code).toBe(0);
    expect(top.stderr).toBe("");
    const listed = listedCommands(top.stdout);
    expect(listed).toContainEqual(["group", "move"]);
    expect(listed).toContainEqual(["prune"]);
    // Nouns: the first word of every command with two words (group, namespace, task, ...).
    const nouns = [...new Set(listed.filter((c) => c.length === 2).map((c) => c[0]!))].filter(
      (n) => !listed.some((c) => c.length === 1 && c[0] === n), // `gc` is a command itself
    );
    expect(nouns).toEqual(expect.arrayContaining(["datastore", "namespace", "group", "snapshot", "maintenance", "task"]));
    const results = await inBatches(nouns, (n) => Promise.all([coffer([n]), coffer([n, "--help"])]), 2);
    nouns.forEach((noun, i) => {
      const [bare, help] = results[i]!;
      const verbs = listed.filter((c) => c[0] === noun && c.length === 2).map((c) => c[1]!);
      expect(bare.code, noun).toBe(2);
      expect(bare.stdout).toBe("");
      const lines = bare.stderr.trimEnd().split("\n");
      expect(lines[0]).toBe(`coffer: 'coffer ${noun}' needs a command.`);
      // one line per sub-command, each with its summary, and nothing else but a header and a hint
      expect(lines).toHaveLength(verbs.length + 3);
      for (const v of verbs) expect(lines.filter((l) => l.startsWith(`  coffer ${noun} ${v} `))).toHaveLength(1);
      expect(help.code).toBe(0);
      expect(help.stdout).toBe(`${lines.slice(1).join("\n")}\n`);
    });
  }, 240_000);

  it("names the group and both namespaces in a group-move dry run, and changes nothing", async () => {
    mkdirSync(path.join(home, "datastores/store1/vm/4242"), { recursive: true });
    writeFileSync(path.join(home, "datastores/store1/vm/4242/owner"), "root@pam\n");
    expect((await coffer(["namespace", "create", "store1", "dryrun-target"])).code).toBe(0);
    const before = snapshotTree(path.join(home, "datastores"));
    const r = await coffer(["group", "move", "store1", "vm/4242", "--target-ns", "dryrun-target", "--dry-run"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("Plan: move group vm/4242 from '/ (root)' to 'dryrun-target' (dry run, nothing changed)");
    expect(r.stdout).toContain("\n1 group will be moved.\n");
    expect(r.stdout).not.toContain("group(s)");
    expect(snapshotTree(path.join(home, "datastores"))).toEqual(before);
  });

  it("says the keep options' real range in help and in errors, and accepts both ends of it", async () => {
    const [help, zero, over, low, high] = await Promise.all([
      coffer(["prune", "--help"]),
      coffer(["prune", "store1", "vm/4242", "--keep-last", "0", "--dry-run"]),
      coffer(["prune", "store1", "vm/4242", "--keep-yearly", String(MAX_KEEP_COUNT + 1), "--dry-run"]),
      coffer(["prune", "store1", "vm/4242", "--keep-last", "1", "--dry-run"]),
      coffer(["prune", "store1", "vm/4242", "--keep-last", String(MAX_KEEP_COUNT), "--dry-run"]),
    ]);
    const range = `1 to ${MAX_KEEP_COUNT}`;
    for (const k of ["last", "hourly", "daily", "weekly", "monthly", "yearly"]) {
      expect(help.stdout).toMatch(new RegExp(`^  --keep-${k} N .*\\(${range}\\)$`, "m"));
    }
    expect(zero.code).toBe(2);
    expect(zero.stderr.split("\n")[0]).toBe(`coffer: option --keep-last takes a whole number from ${range}, not 0`);
    expect(over.stderr.split("\n")[0]).toBe(`coffer: option --keep-yearly takes a whole number from ${range}, not ${MAX_KEEP_COUNT + 1}`);
    expect([low.code, low.stderr]).toEqual([0, ""]);
    expect([high.code, high.stderr]).toEqual([0, ""]);
  });

  it("shows required options without brackets and optional ones with them", async () => {
    const [move, nsMove, hold, bad] = await Promise.all([
      coffer(["group", "move", "--help"]),
      coffer(["namespace", "move", "--help"]),
      coffer(["debug", "hold-lock", "--help"]),
      coffer(["namespace", "move", "store1", "a"]),
    ]);
    expect(move.stdout.split("\n")[0]).toBe(
      "Usage: coffer group move <store> <type>/<id> [--ns NS] --target-ns NS [--merge-group true|false] [--dry-run]",
    );
    expect(nsMove.stdout.split("\n")[0]).toBe(
      "Usage: coffer namespace move <store> <ns> --target-ns NS [--max-depth N] [--delete-source true|false] [--merge-groups true|false] [--dry-run]",
    );
    expect(hold.stdout.split("\n")[0]).toMatch(/ --seconds N$/);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      'coffer: missing option --target-ns NS (the namespace to move to; --target-ns "" is the root namespace)\n' +
        `${nsMove.stdout.split("\n")[0]}\n`,
    );
  });

  it("has the flags the README shows for every command, and no others", async () => {
    const readme = readFileSync(path.join(repo, "README.md"), "utf8");
    const block = readme.split("## The command line")[1]!.split("```sh\n")[1]!.split("```")[0]!;
    // A README entry is a `bin/coffer` line with its indented continuation lines.
    const entries = block
      .replace(/\n[ \t]+/g, " ")
      .split("\n")
      .filter((l) => l.startsWith("bin/coffer "))
      .map((l) => l.replace(/\s+#.*$/, ""));
    const known = listedCommands((await coffer(["--help"])).stdout);
    const documented = entries.map((line) => {
      const words = line.split(/\s+/).slice(1);
      const command = known
        .filter((c) => c.every((w, i) => words[i] === w))
        .sort((a, b) => b.length - a.length)[0];
      expect(command, line).toBeDefined();
      return { line, command: command! };
    });
    // Every command is in the README, once per usage.
    expect(new Set(documented.map((d) => d.command.join(" ")))).toEqual(new Set(known.map((c) => c.join(" "))));
    const helps = await inBatches(documented, (d) => coffer([...d.command, "--help"]));
    documented.forEach((d, i) => {
      const usage = helps[i]!.stdout.split("\n")[0]!;
      expect(usage.startsWith(`Usage: coffer ${d.command.join(" ")}`)).toBe(true);
      expect([...flagsOf(d.line)].sort(), d.line).toEqual([...flagsOf(usage)].sort());
    });
  }, 240_000);
});
