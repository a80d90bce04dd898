/**
 * `coffer verify <store> [--ns NS] [--max-depth N] [--group <type>/<id> | --snapshot
 * <type>/<id>/<time>] [--ignore-verified true|false] [--outdated-after DAYS]` (DESIGN 9). Runs
 * as a task (`verify`, `verify_group` or `verify_snapshot`, as PBS picks by scope); what it
 * names is checked first, so a typo fails at once instead of starting a task that finds nothing.
 */
import { CofferError } from "../../datastore/model/errors";
import { MAX_NAMESPACE_DEPTH, parseSnapshotPath, snapshotPath } from "../../datastore/model/names";
import { UsageError } from "../args";
import type { Command } from "../command";
import { groupOf, nsOf, req, str, withDatastore } from "../command";
import { runTaskCommand } from "../run-task";

export const verifyCommands: Command[] = [
  {
    path: ["verify"],
    summary:
      "Verify snapshots: the whole store (or --ns and below), one --group or one --snapshot. Reads every chunk and checks its checksum; runs as a task.",
    spec: {
      positionals: ["store"],
      options: {
        ns: { type: "string", description: "namespace (default: the root)" },
        "max-depth": { type: "integer", min: 0, max: MAX_NAMESPACE_DEPTH, description: "namespace levels below --ns (default 7)" },
        group: { type: "string", description: "<type>/<id>: verify only this group" },
        snapshot: { type: "string", description: "<type>/<id>/<time>: verify only this snapshot" },
        "ignore-verified": { type: "boolean", description: "skip snapshots verified before (default true)" },
        "outdated-after": { type: "integer", min: 0, description: "with --ignore-verified: re-verify after this many days" },
      },
    },
    async run(args, format) {
      const store = req(args, "store");
      const ns = nsOf(args);
      const group = str(args, "group");
      const snapshot = str(args, "snapshot");
      if (group !== undefined && snapshot !== undefined) throw new UsageError("give --group or --snapshot, not both");
      if ((group !== undefined || snapshot !== undefined) && args.options["max-depth"] !== undefined) {
        throw new UsageError("--max-depth applies to a store or namespace verify, not to --group or --snapshot");
      }
      const common: Record<string, unknown> = { store, ns: ns.toString() };
      if (args.options["ignore-verified"] !== undefined) common["ignore-verified"] = args.options["ignore-verified"];
      if (args.options["outdated-after"] !== undefined) common["outdated-after"] = args.options["outdated-after"];

      let kind: string;
      let taskArgs: Record<string, unknown>;
      if (snapshot !== undefined) {
        const snap = parseSnapshotPath(snapshot);
        await withDatastore(store, "read", async (ds) => {
          const list = await ds.listSnapshots(ns, snap);
          if (!list.some((s) => s["backup-time"] === snap.time)) {
            throw new CofferError("NOT_FOUND", `snapshot '${snapshotPath(snap)}' does not exist in namespace '${ns}'`);
          }
        });
        kind = "verify_snapshot";
        taskArgs = { ...common, "backup-type": snap.type, "backup-id": snap.id, "backup-time": snap.time };
      } else if (group !== undefined) {
        const g = groupOf(group);
        await withDatastore(store, "read", (ds) => ds.group(ns, g));
        kind = "verify_group";
        taskArgs = { ...common, "backup-type": g.type, "backup-id": g.id };
      } else {
        await withDatastore(store, "read", async (ds) => {
          if (!(await ds.namespaceExists(ns))) throw new CofferError("NOT_FOUND", `namespace '${ns}' does not exist`);
        });
        kind = "verify";
        taskArgs = { ...common };
        if (args.options["max-depth"] !== undefined) taskArgs["max-depth"] = args.options["max-depth"];
      }
      // As proxmox-backup-client: Ctrl-C asks the task to stop.
      return runTaskCommand(kind, taskArgs, format, { abortOnInterrupt: true });
    },
  },
];
