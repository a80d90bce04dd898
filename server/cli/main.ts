/**
 * `coffer`: the command line (DESIGN.md section 9). It acts locally as root@pam, with direct
 * access to COFFER_HOME, and calls the same engine as the console.
 */
import packageJson from "../../package.json";
import { CofferError, errorMessage } from "../datastore/model/errors";
import { printable } from "../datastore/model/names";
import { parseArgs, UsageError, usageLine } from "./args";
import type { Command } from "./command";
import { backupCommands } from "./commands/backup";
import { datastoreCommands } from "./commands/datastore";
import { debugCommands } from "./commands/debug";
import { demoCommands } from "./commands/demo";
import { gcCommands } from "./commands/gc";
import { groupCommands } from "./commands/group";
import { jobCommands } from "./commands/job";
import { maintenanceCommands } from "./commands/maintenance";
import { moveCommands } from "./commands/move";
import { namespaceCommands } from "./commands/namespace";
import { pruneCommands } from "./commands/prune";
import { snapshotCommands } from "./commands/snapshot";
import { taskCommands } from "./commands/task";
import { verifyCommands } from "./commands/verify";
import { closest, commandHelp, nounHelp, topHelp } from "./help";
import { printError, type OutputFormat } from "./output";

/** Listed by noun, in the order the nouns first appear (so `namespace move` sits with `namespace`). */
const commands: Command[] = byNoun([
  ...datastoreCommands,
  ...namespaceCommands,
  ...groupCommands,
  ...moveCommands,
  ...snapshotCommands,
  ...maintenanceCommands,
  ...gcCommands,
  ...verifyCommands,
  ...pruneCommands,
  ...jobCommands,
  ...backupCommands,
  ...taskCommands,
  ...debugCommands,
  ...demoCommands,
]);

function byNoun(list: Command[]): Command[] {
  const nouns = [...new Set(list.map((c) => c.path[0]))];
  return nouns.flatMap((n) => list.filter((c) => c.path[0] === n));
}

function findCommand(argv: string[]): { command: Command; rest: string[] } | undefined {
  let best: Command | undefined;
  for (const c of commands) {
    if (c.path.every((p, i) => argv[i] === p) && (!best || c.path.length > best.path.length)) best = c;
  }
  return best && { command: best, rest: argv.slice(best.path.length) };
}

/** Why `argv` names no command, in one line with a hint (and the noun's commands when only the verb is missing). */
function notACommand(argv: string[], wantsHelp: boolean): number {
  const visible = commands.filter((c) => !c.hidden);
  const nouns = visible.map((c) => c.path[0]!);
  const first = argv[0]!;
  if (first.startsWith("-")) {
    printError(`unknown option '${printable(first)}'. Run 'coffer --help' for the list of commands.`);
    return 2;
  }
  if (!nouns.includes(first)) {
    const guess = closest(first, nouns);
    printError(
      `unknown command '${printable(first)}'${guess ? `; did you mean 'coffer ${guess}'?` : "."} Run 'coffer --help' for the list of commands.`,
    );
    return 2;
  }
  const verb = argv[1];
  if (verb === undefined || verb.startsWith("-")) {
    if (wantsHelp) {
      process.stdout.write(`${nounHelp(commands, first)}\n`);
      return 0;
    }
    printError(`'coffer ${first}' needs a command.`);
    process.stderr.write(`${nounHelp(commands, first)}\n`);
    return 2;
  }
  return unknownVerb(first, verb, closest(verb, verbsOf(first)));
}

/** The second words of a noun's commands (`gc` -> `status`). */
function verbsOf(noun: string): string[] {
  return commands.filter((c) => !c.hidden && c.path.length === 2 && c.path[0] === noun).map((c) => c.path[1]!);
}

/** `coffer gc stauts`: one line with the likely command, then the noun's commands. */
function unknownVerb(noun: string, verb: string, guess: string | undefined): number {
  printError(`unknown command '${noun} ${printable(verb)}'${guess ? `; did you mean 'coffer ${noun} ${guess}'?` : "."}`);
  process.stderr.write(`${nounHelp(commands, noun)}\n`);
  return 2;
}

/**
 * The subcommand the first argument probably meant, when a command that is itself a noun
 * (`gc` beside `gc status`) got a word close to one of its subcommands: `coffer gc stauts`.
 */
function mistypedVerb(command: Command, rest: string[]): { typed: string; guess: string } | undefined {
  const typed = rest[0];
  if (command.path.length !== 1 || typed === undefined || typed.startsWith("-")) return undefined;
  const guess = closest(typed, verbsOf(command.path[0]!));
  return guess === undefined ? undefined : { typed, guess };
}

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === "help") argv = argv.length > 1 ? [...argv.slice(1), "--help"] : ["--help"];
  const wantsHelp = argv.includes("--help") || argv.includes("-h");
  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
    process.stdout.write(`coffer ${packageJson.version}\n`);
    return 0;
  }
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h") {
    // Help asked for goes to stdout; a bare `coffer` is an incomplete command, like a bare noun.
    if (argv.length === 0) {
      printError("a command is needed.");
      process.stderr.write(`${topHelp(commands)}\n`);
      return 2;
    }
    process.stdout.write(`${topHelp(commands)}\n`);
    return 0;
  }
  const found = findCommand(argv);
  if (!found) return notACommand(argv, wantsHelp);
  const { command, rest } = found;
  if (wantsHelp) {
    process.stdout.write(`${commandHelp(commands, command)}\n`);
    return 0;
  }
  // `coffer gc stauts demo` is a typo of `gc status`, not gc with one argument too many; plain
  // `coffer gc stauts` may be a datastore called so, and only gets the hint when it fails.
  const mistyped = mistypedVerb(command, rest);
  try {
    const args = parseArgs(rest, command.spec);
    const format = (args.options["output-format"] as OutputFormat | undefined) ?? "text";
    return (await command.run(args, format)) ?? 0;
  } catch (err) {
    if (err instanceof UsageError) {
      if (mistyped) return unknownVerb(command.path[0]!, mistyped.typed, mistyped.guess);
      printError(err.message);
      process.stderr.write(`Usage: ${usageLine(command.path.join(" "), command.spec)}\n`);
      return 2;
    }
    const hint = mistyped ? ` (did you mean 'coffer ${command.path[0]} ${mistyped.guess}'?)` : "";
    printError(`${errorMessage(err)}${hint}`);
    if (!(err instanceof CofferError) && process.env.COFFER_DEBUG) console.error(err);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    printError(errorMessage(err));
    process.exitCode = 1;
  },
);
