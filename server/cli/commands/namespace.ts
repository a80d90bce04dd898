import { checkNamespaceInput } from "../../datastore/model/schemas";
import { CofferError } from "../../datastore/model/errors";
import type { Command } from "../command";
import { nsOf, req, withDatastore } from "../command";
import { emit, printTable } from "../output";

export const namespaceCommands: Command[] = [
  {
    path: ["namespace", "create"],
    summary: "Create a namespace; its parent must exist (at most 7 levels).",
    spec: { positionals: ["store", "ns"], options: {} },
    async run(args, format) {
      const ns = checkNamespaceInput(req(args, "ns"));
      if (ns.isRoot) throw new CofferError("BAD_REQUEST", "Cannot create/delete root namespace!");
      const created = await withDatastore(req(args, "store"), "write", (ds) => ds.createNamespace(ns.parent(), ns.name));
      emit(format, { ns: created.toString() }, () => process.stdout.write(`created namespace '${created}'\n`));
    },
  },
  {
    path: ["namespace", "list"],
    summary: "List a namespace and its children, recursively up to --max-depth (default 7).",
    spec: {
      positionals: ["store"],
      options: { ns: { type: "string" }, "max-depth": { type: "integer", min: 0, max: 7 } },
    },
    async run(args, format) {
      const parent = nsOf(args);
      const maxDepth = args.options["max-depth"] as number | undefined;
      const list = await withDatastore(req(args, "store"), "read", (ds) => ds.listNamespaces(parent, maxDepth));
      emit(format, list, () =>
        printTable(list, [{ header: "Namespace", value: (n) => (n.ns === "" ? "/ (root)" : n.ns) }]),
      );
    },
  },
  {
    path: ["namespace", "delete"],
    summary: "Delete a namespace and its empty children; --delete-groups also destroys their groups.",
    spec: { positionals: ["store", "ns"], options: { "delete-groups": { type: "boolean" } } },
    async run(args, format) {
      const ns = checkNamespaceInput(req(args, "ns"));
      const stats = await withDatastore(req(args, "store"), "write", (ds) =>
        ds.deleteNamespace(ns, { deleteGroups: args.options["delete-groups"] === true }),
      );
      emit(format, stats, () =>
        process.stdout.write(
          `deleted namespace '${ns}' (${stats["removed-groups"]} group(s), ${stats["removed-snapshots"]} snapshot(s) removed)\n`,
        ),
      );
    },
  },
];
