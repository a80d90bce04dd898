/**
 * `coffer prune <store> <type>/<id> [--ns NS] [--keep-last N] ... [--keep-yearly N] [--dry-run]`
 * (DESIGN 9). A dry run prints the plan (a table, or PBS's result list as JSON) from a read
 * handle and changes nothing, without a task; otherwise the prune runs as a `prune` task.
 */
import { formatBackupTime } from "../../datastore/model/names";
import { KEEP_OPTION_NAMES, type KeepOptions, planPrune, type PrunePlanEntry, pruneResults } from "../../datastore";
import { MAX_KEEP_COUNT } from "../../datastore/model/schemas";
import type { OptionSpec } from "../args";
import type { Command } from "../command";
import { GROUP, NS_OPTION, STORE, groupOf, nsOf, req, withDatastore } from "../command";
import { emit, printTable } from "../output";
import { runTaskCommand } from "../run-task";

/** What each keep option keeps (PBS's rules, reference pbs-engine.md on prune). */
const KEEP_DESCRIPTIONS: Record<(typeof KEEP_OPTION_NAMES)[number], string> = {
  "keep-last": "keep the N newest snapshots",
  "keep-hourly": "keep the newest snapshot of each of the last N hours that have one",
  "keep-daily": "keep the newest snapshot of each of the last N days that have one",
  "keep-weekly": "keep the newest snapshot of each of the last N weeks that have one",
  "keep-monthly": "keep the newest snapshot of each of the last N months that have one",
  "keep-yearly": "keep the newest snapshot of each of the last N years that have one",
};

const keepSpecs = Object.fromEntries(
  KEEP_OPTION_NAMES.map((k) => [
    k,
    { type: "integer", min: 1, max: MAX_KEEP_COUNT, description: KEEP_DESCRIPTIONS[k] } satisfies OptionSpec,
  ]),
);

const action = (e: PrunePlanEntry) => (e.mark === "protected" ? "protected" : e.mark === "keep-partial" ? "keep-partial" : e.keep ? "keep" : "remove");

export const pruneCommands: Command[] = [
  {
    path: ["prune"],
    summary: "Remove a group's snapshots that no keep option keeps (a task)",
    description:
      "Prune a backup group: remove the snapshots no --keep-* option keeps (protected snapshots always stay; without any " +
      "--keep-* option nothing is removed). Runs as a task; Ctrl-C aborts it. --dry-run prints what would be kept and removed.",
    spec: {
      positionals: [STORE, GROUP],
      options: {
        ns: { ...NS_OPTION, description: 'the namespace the group is in (default: the root namespace, "")' },
        ...keepSpecs,
        "dry-run": { type: "boolean", description: "print what would be kept and removed; change nothing" },
      },
    },
    async run(args, format) {
      const store = req(args, "store");
      const ns = nsOf(args);
      const group = groupOf(req(args, "group"));
      const keep: KeepOptions = {};
      for (const k of KEEP_OPTION_NAMES) {
        const v = args.options[k];
        if (typeof v === "number") keep[k] = v;
      }
      if (args.options["dry-run"] === true) {
        const plan = await withDatastore(store, "read", (ds) => planPrune(ds, ns, group, keep));
        emit(format, pruneResults(ns, plan), () => {
          printTable(
            plan.entries,
            [
              { header: "Snapshot", value: (e) => `${e.snapshot.type}/${e.snapshot.id}/${formatBackupTime(e.snapshot.time)}` },
              { header: "Action", value: action },
            ],
            "(no snapshots)",
          );
          if (!plan.keepsSomething) process.stdout.write("No prune selection - keeping all files.\n");
        });
        return 0;
      }
      await withDatastore(store, "read", (ds) => ds.group(ns, group)); // fail fast on a missing group
      const taskArgs = { store, ns: ns.toString(), "backup-type": group.type, "backup-id": group.id, ...keep };
      return runTaskCommand("prune", taskArgs, format, { abortOnInterrupt: true });
    },
  },
];
