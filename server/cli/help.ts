/**
 * What `coffer` says about its own commands: the command list, one noun's commands, one
 * command's help, and the closest command to a typo. Everything is rendered from the command
 * specs, so help cannot promise a flag the parser refuses.
 */
import { describeSpec, usageLine } from "./args";
import type { Command } from "./command";

const name = (c: Command) => c.path.join(" ");

function table(rows: [string, string][]): string[] {
  const width = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([l, r]) => `  ${l.padEnd(width)}  ${r}`);
}

/** `coffer --help`: every command, one line each. */
export function topHelp(commands: Command[]): string {
  return [
    "coffer - manage Coffer datastores (the on-disk format of Proxmox Backup Server 4.2)",
    "",
    "Usage: coffer <command> [arguments] [options]",
    "",
    "Commands:",
    ...table(commands.filter((c) => !c.hidden).map((c) => [name(c), c.summary])),
    "",
    "Run 'coffer <command> --help' for a command's arguments and options, e.g. 'coffer group move --help'.",
    "Every command takes --output-format text|json. State lives in COFFER_HOME (default: .coffer in the current directory).",
    "'coffer --version' prints the version.",
  ].join("\n");
}

/** The commands of one noun (`coffer group`), one line each. */
export function nounHelp(commands: Command[], noun: string): string {
  const mine = commands.filter((c) => !c.hidden && c.path[0] === noun);
  return [
    `Commands of 'coffer ${noun}':`,
    ...table(mine.map((c) => [`coffer ${name(c)}`, c.summary])),
    `Run 'coffer ${noun} <command> --help' for a command's arguments and options.`,
  ].join("\n");
}

/** `coffer <command> --help`: usage, what it does, arguments and options, related commands. */
export function commandHelp(commands: Command[], command: Command): string {
  const related = commands.filter(
    (c) => !c.hidden && c !== command && c.path.length > command.path.length && command.path.every((p, i) => c.path[i] === p),
  );
  return [
    `Usage: ${usageLine(name(command), command.spec)}`,
    "",
    command.description ?? command.summary,
    ...describeSpec(command.spec),
    ...(related.length ? ["", "See also:", ...table(related.map((c) => [`coffer ${name(c)}`, c.summary]))] : []),
  ].join("\n");
}

/** Edit distance with transpositions (optimal string alignment): "grop" -> "group" is 1. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The one word `typed` most likely meant, or undefined when none is an obvious choice: the
 * only word it starts (`snap` -> `snapshot`), else the only nearest word within a third of its
 * length in typos (at least one).
 */
export function closest(typed: string, words: string[]): string | undefined {
  const unique = [...new Set(words)];
  const lower = typed.toLowerCase();
  const prefixed = unique.filter((w) => lower.length >= 2 && w.startsWith(lower));
  if (prefixed.length === 1) return prefixed[0];
  const limit = Math.max(1, Math.floor(typed.length / 3));
  const scored = unique.map((w) => ({ w, d: distance(lower, w) })).filter((s) => s.d <= limit);
  const best = Math.min(...scored.map((s) => s.d));
  const winners = scored.filter((s) => s.d === best);
  return winners.length === 1 ? winners[0]!.w : undefined;
}
