import { formatBackupTime } from "../../datastore/model/names";
import type { Command } from "../command";
import { NS_OPTION, STORE, groupOf, nsOf, req, str, withDatastore } from "../command";
import { emit, humanBytes, printTable } from "../output";

export const snapshotCommands: Command[] = [
  {
    path: ["snapshot", "list"],
    summary: "List the snapshots of a namespace (not recursive) or of one group",
    description: "List the snapshots of one namespace (not the namespaces below it), or of one group with --group.",
    spec: {
      positionals: [STORE],
      options: { ns: NS_OPTION, group: { type: "string", metavar: "TYPE/ID", description: "only this group's snapshots, e.g. vm/100" } },
    },
    async run(args, format) {
      const ns = nsOf(args);
      const g = str(args, "group");
      const group = g === undefined ? undefined : groupOf(g);
      const list = await withDatastore(req(args, "store"), "read", (ds) => ds.listSnapshots(ns, group));
      emit(format, list, () =>
        printTable(list, [
          {
            header: "Snapshot",
            value: (s) => `${s["backup-type"]}/${s["backup-id"]}/${formatBackupTime(s["backup-time"])}`,
          },
          { header: "Size", value: (s) => (s.size === undefined ? "" : humanBytes(s.size)), align: "right" },
          { header: "Files", value: (s) => String(s.files.length), align: "right" },
          {
            header: "State",
            value: (s) =>
              [s.finished ? "" : "unfinished", s.protected ? "protected" : "", s.verification ? `verify ${s.verification.state}` : ""]
                .filter(Boolean)
                .join(", "),
          },
          { header: "Comment", value: (s) => s.comment ?? "" },
        ], "no snapshots"),
      );
    },
  },
];
