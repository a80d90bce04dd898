import { formatBackupTime } from "../../datastore/model/names";
import type { Command } from "../command";
import { nsOf, req, withDatastore } from "../command";
import { emit, printTable } from "../output";

export const groupCommands: Command[] = [
  {
    path: ["group", "list"],
    summary: "List the backup groups of a namespace (not recursive), empty groups included.",
    spec: { positionals: ["store"], options: { ns: { type: "string" } } },
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
