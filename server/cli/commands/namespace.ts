import { CofferError } from "../../datastore/model/errors";
import type { Command } from "../command";
import { NS_OPTION, STORE, namespaceArg, nsOf, req, withDatastore } from "../command";
import { MAX_NAMESPACE_DEPTH } from "../../datastore/model/names";
import { emit, printTable } from "../output";

const NEW_NS = {
  name: "ns",
  metavar: "<ns>",
  description: `the new namespace, e.g. prod/eu: names of 1 to 32 characters of A-Z a-z 0-9 _ . -, at most ${MAX_NAMESPACE_DEPTH} levels`,
};

export const namespaceCommands: Command[] = [
  {
    path: ["namespace", "create"],
    summary: "Create a namespace (its parent must exist)",
    spec: { positionals: [STORE, NEW_NS], options: {} },
    async run(args, format) {
      const ns = namespaceArg(req(args, "ns"));
      if (ns.isRoot) throw new CofferError("BAD_REQUEST", "the root namespace always exists; name a namespace below it, e.g. prod");
      const created = await withDatastore(req(args, "store"), "write", (ds) => ds.createNamespace(ns.parent(), ns.name));
      emit(format, { ns: created.toString() }, () => process.stdout.write(`created namespace '${created}'\n`));
    },
  },
  {
    path: ["namespace", "list"],
    summary: "List a namespace and the namespaces below it",
    description: "List a namespace (the root by default) and the namespaces below it, down to --max-depth levels.",
    spec: {
      positionals: [STORE],
      options: {
        ns: { ...NS_OPTION, metavar: "PARENT", description: 'the namespace to start from (default: the root, "")' },
        "max-depth": { type: "integer", min: 0, max: MAX_NAMESPACE_DEPTH, description: `levels below --ns to list (default ${MAX_NAMESPACE_DEPTH})` },
      },
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
    summary: "Delete a namespace and its empty children",
    description: "Delete a namespace and its empty children; with --delete-groups also the groups in them (protected snapshots stay).",
    spec: {
      positionals: [STORE, { name: "ns", metavar: "<ns>", description: "the namespace to delete, e.g. prod/eu" }],
      options: { "delete-groups": { type: "boolean", description: "also destroy the groups and snapshots in it" } },
    },
    async run(args, format) {
      const ns = namespaceArg(req(args, "ns"));
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
