/**
 * `coffer`: the command line (DESIGN.md section 9). It acts locally as root@pam, with direct
 * access to COFFER_HOME, and calls the same engine as the console.
 */
import { CofferError, errorMessage } from "../datastore/model/errors";
import { parseArgs, UsageError, usageLine } from "./args";
import type { Command } from "./command";
import { backupCommands } from "./commands/backup";
import { datastoreCommands } from "./commands/datastore";
import { debugCommands } from "./commands/debug";
import { demoCommands } from "./commands/demo";
import { gcCommands } from "./commands/gc";
import { groupCommands } from "./commands/group";
import { maintenanceCommands } from "./commands/maintenance";
import { moveCommands } from "./commands/move";
import { namespaceCommands } from "./commands/namespace";
import { pruneCommands } from "./commands/prune";
import { snapshotCommands } from "./commands/snapshot";
import { taskCommands } from "./commands/task";
import { verifyCommands } from "./commands/verify";
import type { OutputFormat } from "./output";

const commands: Command[] = [
  ...datastoreCommands,
  ...namespaceCommands,
  ...groupCommands,
  ...moveCommands,
  ...snapshotCommands,
  ...maintenanceCommands,
  ...gcCommands,
  ...verifyCommands,
  ...pruneCommands,
  ...backupCommands,
  ...taskCommands,
  ...debugCommands,
  ...demoCommands,
];

function help(prefix: string[]): string {
  const shown = commands.filter((c) => !c.hidden && prefix.every((p, i) => c.path[i] === p));
  const lines = shown.map((c) => `  ${usageLine(c.path.join(" "), c.spec)}\n      ${c.summary}`);
  return [
    "coffer - manage Coffer (Proxmox Backup Server format) datastores",
    "",
    "Usage:",
    ...lines,
    "",
    "State lives in COFFER_HOME (default: .coffer in the current directory).",
  ].join("\n");
}

function findCommand(argv: string[]): { command: Command; rest: string[] } | undefined {
  let best: Command | undefined;
  for (const c of commands) {
    if (c.path.every((p, i) => argv[i] === p) && (!best || c.path.length > best.path.length)) best = c;
  }
  return best && { command: best, rest: argv.slice(best.path.length) };
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === "help" || argv[0] === "--help" || argv[0] === "-h") {
    process.stdout.write(`${help(argv[0] === "help" ? argv.slice(1) : [])}\n`);
    return 0;
  }
  const found = findCommand(argv);
  if (!found) {
    const prefix = argv.filter((a) => !a.startsWith("-")).slice(0, 1);
    const known = commands.some((c) => c.path[0] === prefix[0]);
    process.stderr.write(
      `coffer: unknown command '${argv.filter((a) => !a.startsWith("-")).slice(0, 2).join(" ")}'\n\n${help(known ? prefix : [])}\n`,
    );
    return 2;
  }
  const { command, rest } = found;
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(`${usageLine(command.path.join(" "), command.spec)}\n  ${command.summary}\n`);
    return 0;
  }
  try {
    const args = parseArgs(rest, command.spec);
    const format = (args.options["output-format"] as OutputFormat | undefined) ?? "text";
    return (await command.run(args, format)) ?? 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`coffer ${command.path.join(" ")}: ${err.message}\nusage: ${usageLine(command.path.join(" "), command.spec)}\n`);
      return 2;
    }
    process.stderr.write(`Error: ${errorMessage(err)}\n`);
    if (!(err instanceof CofferError) && process.env.COFFER_DEBUG) console.error(err);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`Error: ${errorMessage(err)}\n`);
    process.exitCode = 1;
  },
);
