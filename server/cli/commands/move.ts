/**
 * `group move` and `namespace move`: the pre-flight check runs here, before any task exists
 * (a refused request creates no task); `--dry-run` prints the plan and changes nothing;
 * otherwise the move runs as a task, and Ctrl-C aborts it (as proxmox-backup-client does).
 */
import { checkNamespaceInput } from "../../datastore/model/schemas";
import { checkMoveGroup, checkMoveNamespace } from "../../datastore";
import { type MovePlan, planMoveGroup, planMoveNamespace } from "../../datastore";
import { BackupNamespace } from "../../datastore/model/names";

import { UsageError } from "../args";
import type { Command } from "../command";
import { groupOf, nsOf, req, str, withDatastore } from "../command";
import { emit, printTable } from "../output";
import { runTaskCommand } from "../run-task";

const bool = (v: unknown, dflt: boolean) => (typeof v === "boolean" ? v : dflt);
const show = (ns: string) => (ns === "" ? "/ (root)" : ns);

function targetOf(args: Parameters<Command["run"]>[0]): BackupNamespace {
  const t = str(args, "target-ns");
  if (t === undefined) throw new UsageError("missing option --target-ns NS (use --target-ns \"\" for the root namespace)");
  return checkNamespaceInput(t);
}

export function printPlan(plan: MovePlan): void {
  const out = (s = "") => process.stdout.write(`${s}\n`);
  out(`Plan: move '${show(plan["source-ns"])}' -> '${show(plan["target-ns"])}' (dry run, nothing changed)`);
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
  out(`\n${plan.summary}`);
}

export const moveCommands: Command[] = [
  {
    path: ["group", "move"],
    summary:
      "Move a backup group to another namespace, merging into an existing group there unless --merge-group false. --dry-run shows the plan.",
    spec: {
      positionals: ["store", "group"],
      options: {
        ns: { type: "string" },
        "target-ns": { type: "string" },
        "merge-group": { type: "boolean" },
        "dry-run": { type: "boolean" },
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
        emit(format, plan, () => printPlan(plan));
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
    summary:
      "Move a namespace with its children and groups below another namespace (created if missing), merging into existing groups. --dry-run shows the plan.",
    spec: {
      positionals: ["store", "ns"],
      options: {
        "target-ns": { type: "string" },
        "max-depth": { type: "integer", min: 0, max: 7 },
        "delete-source": { type: "boolean" },
        "merge-groups": { type: "boolean" },
        "dry-run": { type: "boolean" },
      },
    },
    async run(args, format) {
      const store = req(args, "store");
      const ns = checkNamespaceInput(req(args, "ns"));
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
        emit(format, plan, () => printPlan(plan));
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
