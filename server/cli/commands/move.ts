/**
 * `group move` and `namespace move`: the pre-flight check runs here, before any task exists
 * (a refused request creates no task); `--dry-run` prints the plan and changes nothing;
 * otherwise the move runs as a task, and Ctrl-C aborts it (as proxmox-backup-client does).
 */
import { checkMoveGroup, checkMoveNamespace } from "../../datastore";
import { type MovePlan, planMoveGroup, planMoveNamespace } from "../../datastore";
import { BackupNamespace, MAX_NAMESPACE_DEPTH, groupPath } from "../../datastore/model/names";

import type { OptionSpec } from "../args";
import type { Command } from "../command";
import { GROUP, NS_OPTION, STORE, groupOf, namespaceArg, nsOf, req, withDatastore } from "../command";
import { emit, printTable } from "../output";
import { runTaskCommand } from "../run-task";

const bool = (v: unknown, dflt: boolean) => (typeof v === "boolean" ? v : dflt);
const show = (ns: string) => (ns === "" ? "/ (root)" : ns);

const targetOf = (args: Parameters<Command["run"]>[0]): BackupNamespace => namespaceArg(req(args, "target-ns"), "target namespace");

const TARGET_NS: OptionSpec = {
  type: "string",
  metavar: "NS",
  required: true,
  description: 'the namespace to move to; --target-ns "" is the root namespace',
};
const DRY_RUN: OptionSpec = { type: "boolean", description: "print the plan (what moves, merges or conflicts) and change nothing" };

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** What the plan does, in plain words: "2 groups will be moved; 1 group will be merged into an existing one." */
function planSummary(plan: MovePlan): string {
  const d = plan["depth-check"];
  if (!d.ok) return `Nothing can be moved: ${d.message ?? "the namespace would become too deep"}.`;
  const count = (action: string) => plan.groups.filter((g) => g.action === action).length;
  const parts = [
    count("move") && `${plural(count("move"), "group", "groups")} will be moved`,
    count("merge") && `${plural(count("merge"), "group", "groups")} will be merged into ${count("merge") === 1 ? "an existing one" : "existing ones"}`,
    count("locked") && `${plural(count("locked"), "group is", "groups are")} locked now and will be tried once more`,
    count("conflict") && `${plural(count("conflict"), "group", "groups")} cannot be moved and would stay where ${count("conflict") === 1 ? "it is" : "they are"} (see Reason)`,
  ].filter(Boolean);
  return parts.length ? `${parts.join("; ")}.` : "Nothing to move.";
}

/** The plan as text; `what` names the move (`group vm/100 from 'a' to 'b'`). */
export function printPlan(plan: MovePlan, what: string): void {
  const out = (s = "") => process.stdout.write(`${s}\n`);
  out(`Plan: move ${what} (dry run, nothing changed)`);
  const d = plan["depth-check"];
  out(
    `Depth check: ${d.ok ? "ok" : "FAILS"} (subtree depth ${d["subtree-depth"]} + target depth ${d["target-depth"]} ${d.ok ? "<=" : ">"} ${d.max})`,
  );
  out();
  printTable(
    plan.groups,
    [
      { header: "Group", value: (g) => `${g["backup-type"]}/${g["backup-id"]}` },
      { header: "From", value: (g) => show(g.ns) },
      { header: "To", value: (g) => (g["target-ns"] === "" && !d.ok ? "-" : show(g["target-ns"])) },
      { header: "Snapshots", value: (g) => String(g.snapshots), align: "right" },
      { header: "Action", value: (g) => g.action },
      { header: "Reason", value: (g) => g.reason ?? "" },
    ],
    "no groups to move",
  );
  if (plan["namespaces-created"].length) out(`\nNamespaces to create: ${plan["namespaces-created"].join(", ")}`);
  if (plan["namespaces-removed"].length) out(`Source namespaces to remove: ${plan["namespaces-removed"].join(", ")}`);
  for (const k of plan["namespaces-kept"]) out(`Source namespace kept: ${show(k.ns)} (${k.reason})`);
  out(`\n${planSummary(plan)}`);
}

export const moveCommands: Command[] = [
  {
    path: ["group", "move"],
    summary: "Move a backup group to another namespace (a task)",
    description:
      "Move a backup group to another namespace, merging it into a group of the same name there unless --merge-group false. " +
      "Runs as a task; Ctrl-C aborts it. --dry-run prints the plan and changes nothing.",
    spec: {
      positionals: [STORE, GROUP],
      options: {
        ns: { ...NS_OPTION, description: 'the namespace the group is in (default: the root namespace, "")' },
        "target-ns": TARGET_NS,
        "merge-group": { type: "boolean", defaultTrue: true, description: "merge into an existing group of the same name (default true)" },
        "dry-run": DRY_RUN,
      },
    },
    async run(args, format) {
      const store = req(args, "store");
      const ns = nsOf(args);
      const group = groupOf(req(args, "group"));
      const target = targetOf(args);
      const merge = bool(args.options["merge-group"], true);
      const plan = await withDatastore(store, "write", async (ds) => {
        if (args.options["dry-run"] === true) return planMoveGroup(ds, ns, group, target, merge);
        await checkMoveGroup(ds, ns, target, group, merge);
        return undefined;
      });
      if (plan) {
        emit(format, plan, () => printPlan(plan, `group ${groupPath(group)} from '${show(plan["source-ns"])}' to '${show(plan["target-ns"])}'`));
        return;
      }
      return runTaskCommand(
        "move-group",
        { store, ns: ns.toString(), type: group.type, id: group.id, "target-ns": target.toString(), "merge-group": merge },
        format,
        { abortOnInterrupt: true },
      );
    },
  },
  {
    path: ["namespace", "move"],
    summary: "Move a namespace with everything below it (a task)",
    description:
      "Move a namespace with its children and groups to --target-ns (created if missing; its parent must exist), merging into " +
      "existing groups unless --merge-groups false. Runs as a task; Ctrl-C aborts it. --dry-run prints the plan and changes nothing.",
    spec: {
      positionals: [STORE, { name: "ns", metavar: "<ns>", description: "the namespace to move, e.g. dev/ci" }],
      options: {
        "target-ns": TARGET_NS,
        "max-depth": { type: "integer", min: 0, max: MAX_NAMESPACE_DEPTH, description: "levels below <ns> to move (default: all)" },
        "delete-source": { type: "boolean", defaultTrue: true, description: "remove the emptied source namespaces (default true)" },
        "merge-groups": { type: "boolean", defaultTrue: true, description: "merge into existing groups of the same name (default true)" },
        "dry-run": DRY_RUN,
      },
    },
    async run(args, format) {
      const store = req(args, "store");
      const ns = namespaceArg(req(args, "ns"));
      const target = targetOf(args);
      const options = {
        maxDepth: args.options["max-depth"] as number | undefined,
        deleteSource: bool(args.options["delete-source"], true),
        mergeGroups: bool(args.options["merge-groups"], true),
      };
      const plan = await withDatastore(store, "write", async (ds) => {
        if (args.options["dry-run"] === true) return planMoveNamespace(ds, ns, target, options);
        await checkMoveNamespace(ds, ns, target);
        return undefined;
      });
      if (plan) {
        emit(format, plan, () => printPlan(plan, `namespace '${show(plan["source-ns"])}' to '${show(plan["target-ns"])}'`));
        return;
      }
      return runTaskCommand(
        "move-namespace",
        {
          store,
          ns: ns.toString(),
          "target-ns": target.toString(),
          ...(options.maxDepth === undefined ? {} : { "max-depth": options.maxDepth }),
          "delete-source": options.deleteSource,
          "merge-groups": options.mergeGroups,
        },
        format,
        { abortOnInterrupt: true },
      );
    },
  },
];
