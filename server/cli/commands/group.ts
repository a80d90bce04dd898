import { formatBackupTime } from "../../datastore/model/names";
import type { Command } from "../command";
import { NS_OPTION, STORE, nsOf, req, withDatastore } from "../command";
import { emit, printTable } from "../output";

export const groupCommands: Command[] = [
  {
    path: ["group", "list"],
    summary: "List the backup groups of a namespace (not recursive)",
    description: "List the backup groups of one namespace (not the namespaces below it), empty groups included.",
    spec: { positionals: [STORE], options: { ns: NS_OPTION } },
    async run(args, format) {
      const ns = nsOf(args);
      const list = await withDatastore(req(args, "store"), "read", (ds) => ds.listGroups(ns));
      emit(format, list, () =>
        printTable(list, [
          { header: "Group", value: (g) => `${g["backup-type"]}/${g["backup-id"]}` },
          { header: "Last backup", value: (g) => (g["last-backup"] ? formatBackupTime(g["last-backup"]) : "-") },
          { header: "Snapshots", value: (g) => String(g["backup-count"]), align: "right" },
          { header: "Owner", value: (g) => g.owner ?? "" },
          { header: "Comment", value: (g) => g.comment ?? "" },
        ], `no groups in namespace '${ns}'`),
      );
    },
  },
];
