import { createDatastore, removeDatastore, updateDatastoreOptions, type S3CreateOptions } from "../../datastore";
import { removeJobsOfStore } from "../../jobs";
import { compressionSetting, listDatastoreConfigs } from "../../config/datastore-config";
import { parseBackend } from "../../config/s3-config";
import { checkDatastoreName } from "../../datastore/model/names";
import { DEFAULT_COMPRESSION_LEVEL, MAX_COMPRESSION_LEVEL, MIN_COMPRESSION_LEVEL, parseCompressionLevel } from "../../datastore/model/compression";
import { CofferError } from "../../datastore/model/errors";
import type { Command } from "../command";
import { STORE, req, str, withDatastore } from "../command";
import { emit, printTable } from "../output";
import { runTaskCommand } from "../run-task";

/** `--s3-endpoint URL --bucket B [--region R] [--path-style] --cache DIR`; credentials never come from here. */
function s3Options(args: Parameters<Command["run"]>[0]): S3CreateOptions | undefined {
  const endpoint = str(args, "s3-endpoint");
  const bucket = str(args, "bucket");
  const s3Only = ["bucket", "region", "path-style", "cache"].filter((o) => args.options[o] !== undefined);
  if (endpoint === undefined) {
    if (s3Only.length > 0) throw new CofferError("BAD_REQUEST", `--${s3Only[0]} is only for an S3 datastore: add --s3-endpoint URL`);
    return undefined;
  }
  if (bucket === undefined) throw new CofferError("BAD_REQUEST", "an S3 datastore needs --bucket NAME");
  if (args.options.path !== undefined) throw new CofferError("BAD_REQUEST", "an S3 datastore takes --cache DIR (its local cache), not --path");
  return { endpoint, bucket, region: str(args, "region"), pathStyle: args.options["path-style"] === true };
}

/** `--compression-level N`. */
function levelOption(args: Parameters<Command["run"]>[0]): number | undefined {
  const raw = str(args, "compression-level");
  return raw === undefined ? undefined : parseCompressionLevel(raw);
}

const COMPRESSION_OPTIONS = {
  compression: { type: "string", metavar: "zstd|none", description: "how backups store new chunks: zstd (default, as PBS) or none" },
  "compression-level": { type: "string", metavar: "N", description: `zstd level ${MIN_COMPRESSION_LEVEL} to ${MAX_COMPRESSION_LEVEL} (default ${DEFAULT_COMPRESSION_LEVEL}; PBS uses 1)` },
} as const;

export const datastoreCommands: Command[] = [
  {
    path: ["datastore", "create"],
    summary: "Create a datastore, or attach an existing PBS datastore (--reuse)",
    description:
      "Create a datastore (by default in COFFER_HOME/datastores/<name>), or attach an existing PBS-format datastore with --reuse without changing it. " +
      "With --s3-endpoint, --bucket and --cache the datastore lives in an S3-compatible object store with a local cache (docs/s3.md); " +
      "credentials come from COFFER_S3_ACCESS_KEY/COFFER_S3_SECRET_KEY or COFFER_HOME/etc/s3-credentials.json (mode 0600), never from the command line.",
    spec: {
      positionals: [{ name: "name", description: "datastore name: 3 to 32 characters of A-Z a-z 0-9 _ . - (not starting with . or -)" }],
      options: {
        path: { type: "string", metavar: "DIR", description: "where the datastore lives (default: COFFER_HOME/datastores/<name>)" },
        reuse: { type: "boolean", description: "attach the existing PBS datastore at --path; changes nothing in it" },
        comment: { type: "string", metavar: "TEXT", description: "a comment shown in the datastore list" },
        ...COMPRESSION_OPTIONS,
        "s3-endpoint": { type: "string", metavar: "URL", description: "keep the datastore in an S3-compatible object store at URL (credentials: COFFER_S3_ACCESS_KEY/COFFER_S3_SECRET_KEY or COFFER_HOME/etc/s3-credentials.json, mode 0600)" },
        bucket: { type: "string", metavar: "NAME", description: "S3: the bucket (created when missing)" },
        region: { type: "string", metavar: "REGION", description: "S3: the region (default us-east-1)" },
        "path-style": { type: "boolean", description: "S3: path-style requests (URL/bucket/key), as most self-hosted stores need" },
        cache: { type: "string", metavar: "DIR", description: "S3: the local cache directory (required with --s3-endpoint)" },
      },
    },
    async run(args, format) {
      let lastPct = -1;
      const reuse = args.options.reuse === true;
      const s3 = s3Options(args);
      const cfg = await createDatastore(req(args, "name"), {
        s3,
        path: s3 ? str(args, "cache") : str(args, "path"),
        reuse,
        comment: str(args, "comment"),
        compression: str(args, "compression"),
        compressionLevel: levelOption(args),
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
    path: ["datastore", "update"],
    summary: "Change a datastore's comment or how its backups compress new chunks",
    description:
      "Change a datastore's options (PBS datastore update). A compression change applies to backups that start afterwards; " +
      "chunks already written stay as they are, and both kinds are read alike. --comment '' removes the comment.",
    spec: {
      positionals: [{ name: "name", description: "datastore name" }],
      options: {
        comment: { type: "string", metavar: "TEXT", description: "the new comment ('' removes it)" },
        ...COMPRESSION_OPTIONS,
      },
    },
    async run(args, format) {
      const name = req(args, "name");
      checkDatastoreName(name);
      const cfg = await updateDatastoreOptions(name, {
        comment: str(args, "comment"),
        compression: str(args, "compression"),
        compressionLevel: levelOption(args),
      });
      const c = compressionSetting(cfg);
      emit(format, cfg, () => {
        process.stdout.write(
          `updated datastore '${cfg.name}': new chunks ${c.type === "zstd" ? `zstd level ${c.level}` : "uncompressed"}` +
            `${cfg.comment ? `, comment '${cfg.comment}'` : ", no comment"}\n`,
        );
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
            header: "Backend",
            value: (d) => {
              const b = parseBackend(d.backend);
              return b ? `s3 (bucket ${b.bucket})` : "filesystem";
            },
          },
          {
            header: "Compression",
            value: (d) => {
              const c = compressionSetting(d);
              return c.type === "zstd" ? `zstd ${c.level}` : "none";
            },
          },
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
  {
    path: ["datastore", "refresh"],
    summary: "Rebuild an S3 datastore's local cache from its bucket (s3-refresh maintenance, a task)",
    description:
      "Put the S3 datastore in s3-refresh maintenance, wait until no operation is active, rebuild the local cache from the bucket, and clear the mode (PBS's s3-refresh).",
    spec: { positionals: [STORE], options: {} },
    async run(args, format) {
      const store = checkDatastoreName(req(args, "store"));
      await withDatastore(store, "lookup", async () => undefined);
      return runTaskCommand("s3-refresh", { store }, format, { abortOnInterrupt: true });
    },
  },
];
