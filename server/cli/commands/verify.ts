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
import { NS_OPTION, STORE, groupOf, nsOf, req, str, withDatastore } from "../command";
import { runTaskCommand } from "../run-task";

/** As the API's verify (server/api/routers/verify.ts): a hundred years. */
const MAX_OUTDATED_AFTER_DAYS = 36500;

export const verifyCommands: Command[] = [
  {
    path: ["verify"],
    summary: "Verify snapshots by reading every chunk (a task)",
    description:
      "Verify the snapshots of the whole datastore (or of --ns and below), of one --group or of one --snapshot: " +
      "read every chunk and check its checksum. Runs as a task; Ctrl-C aborts it.",
    spec: {
      positionals: [STORE],
      options: {
        ns: { ...NS_OPTION, description: 'verify this namespace and below, or the one --group/--snapshot is in (default: the root, "")' },
        "max-depth": { type: "integer", min: 0, max: MAX_NAMESPACE_DEPTH, description: `namespace levels below --ns (default ${MAX_NAMESPACE_DEPTH})` },
        group: { type: "string", metavar: "TYPE/ID", description: "verify only this group, e.g. vm/100" },
        snapshot: { type: "string", metavar: "TYPE/ID/TIME", description: "verify only this snapshot, e.g. vm/100/2024-05-01T10:00:00Z" },
        "ignore-verified": { type: "boolean", defaultTrue: true, description: "skip snapshots verified before (default true)" },
        "outdated-after": {
          type: "integer",
          metavar: "DAYS",
          min: 0,
          max: MAX_OUTDATED_AFTER_DAYS,
          description: "with --ignore-verified: verify again once a verification is this many days old",
        },
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
