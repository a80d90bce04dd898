import { createDatastore, removeDatastore } from "../../datastore";
import { removeJobsOfStore } from "../../jobs";
import { listDatastoreConfigs } from "../../config/datastore-config";
import type { Command } from "../command";
import { req, str } from "../command";
import { emit, printTable } from "../output";

export const datastoreCommands: Command[] = [
  {
    path: ["datastore", "create"],
    summary: "Create a datastore, or attach an existing PBS datastore (--reuse)",
    description:
      "Create a datastore (by default in COFFER_HOME/datastores/<name>), or attach an existing PBS-format datastore with --reuse without changing it.",
    spec: {
      positionals: [{ name: "name", description: "datastore name: 3 to 32 characters of A-Z a-z 0-9 _ . - (not starting with . or -)" }],
      options: {
        path: { type: "string", metavar: "DIR", description: "where the datastore lives (default: COFFER_HOME/datastores/<name>)" },
        reuse: { type: "boolean", description: "attach the existing PBS datastore at --path; changes nothing in it" },
        comment: { type: "string", metavar: "TEXT", description: "a comment shown in the datastore list" },
        compression: { type: "string", metavar: "zstd|none", description: "how backups store new chunks: zstd (default, as PBS) or none" },
        "compression-level": { type: "string", metavar: "N", description: "zstd level 1 to 19 (default 2; PBS uses 1)" },
      },
    },
    async run(args, format) {
      let lastPct = -1;
      const reuse = args.options.reuse === true;
      const cfg = await createDatastore(req(args, "name"), {
        path: str(args, "path"),
        reuse,
        comment: str(args, "comment"),
        compression: str(args, "compression"),
        compressionLevel: str(args, "compression-level") === undefined ? undefined : Number(str(args, "compression-level")),
        onProgress: (pct) => {
          if (format === "text" && process.stderr.isTTY && pct !== lastPct && pct % 10 === 0) {
            lastPct = pct;
            process.stderr.write(`\rChunkstore create: ${pct}%`);
          }
        },
      });
      if (lastPct >= 0) process.stderr.write("\n");
      emit(format, cfg, () => {
        process.stdout.write(`${reuse ? "attached" : "created"} datastore '${cfg.name}' at ${cfg.path}\n`);
      });
    },
  },
  {
    path: ["datastore", "list"],
    summary: "List the configured datastores",
    spec: { positionals: [], options: {} },
    async run(_args, format) {
      const list = await listDatastoreConfigs();
      emit(format, list, () =>
        printTable(list, [
          { header: "Name", value: (d) => d.name },
          { header: "Path", value: (d) => d.path },
          {
            header: "Maintenance",
            value: (d) => {
              const m = d["maintenance-mode"];
              return m ? `${m.type}${m.message ? ` (${m.message})` : ""}` : "-";
            },
          },
          { header: "Comment", value: (d) => d.comment ?? "" },
        ], "no datastores configured (create one with: coffer datastore create <name>)"),
      );
    },
  },
  {
    path: ["datastore", "remove"],
    summary: "Forget a datastore; its data stays unless --destroy-data",
    spec: {
      positionals: [{ name: "name", description: "datastore name" }],
      options: { "destroy-data": { type: "boolean", description: "also delete the datastore's directory and everything in it" } },
    },
    async run(args, format) {
      const destroy = args.options["destroy-data"] === true;
      const cfg = await removeDatastore(req(args, "name"), { destroyData: destroy });
      await removeJobsOfStore(cfg.name); // PBS: a removed store's jobs go with it
      emit(format, cfg, () => {
        process.stdout.write(
          destroy
            ? `removed datastore '${cfg.name}' and destroyed its data at ${cfg.path}\n`
            : `removed datastore '${cfg.name}' from the config; its data stays at ${cfg.path}\n`,
        );
      });
    },
  },
];
