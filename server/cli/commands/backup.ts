/**
 * `coffer backup` and `coffer restore`.
 *
 * backup: checks everything it can before any task exists (archive names and suffixes, that
 * each source exists and is of the kind its suffix asks for, the datastore's maintenance mode
 * for a write), then runs the `backup` task and follows its log; Ctrl-C aborts the backup (as
 * proxmox-backup-client does), which removes the unfinished snapshot. Relative source paths are
 * made absolute here: the task process does not share the caller's working directory.
 *
 * restore: reads one archive of a finished snapshot back to a local path, in this process
 * (PBS restores on the client side too); it is a read operation and works in read-only
 * maintenance.
 */
import { checkDistinct, checkSource, parseArchiveSpec } from "../../datastore";
import { restoreArchive } from "../../datastore";
import { humanSize } from "../../datastore";
import { CofferError } from "../../datastore/model/errors";
import { checkDatastoreName, parseBackupTime, parseSnapshotPath } from "../../datastore/model/names";
import { UsageError } from "../args";
import type { Command } from "../command";
import { groupOf, nsOf, req, str, withDatastore } from "../command";
import { emit } from "../output";
import { runTaskCommand } from "../run-task";


/** `--backup-time`: epoch seconds or `YYYY-MM-DDTHH:MM:SSZ`. */
export function parseBackupTimeOption(s: string): number {
  if (/^[0-9]+$/.test(s)) return Number(s);
  try {
    return parseBackupTime(s);
  } catch {
    throw new UsageError(`option --backup-time takes epoch seconds or YYYY-MM-DDTHH:MM:SSZ, not '${s}'`);
  }
}

/** `--rate`: MiB/s, a positive number (decimals allowed). */
export function parseRateOption(s: string): number {
  const n = Number(s);
  if (!/^[0-9]+(\.[0-9]+)?$/.test(s) || !(n > 0)) throw new UsageError(`option --rate takes MiB/s as a positive number, not '${s}'`);
  return n;
}

export const backupCommands: Command[] = [
  {
    path: ["backup"],
    summary:
      "Back up sources into a new snapshot of a group, as a task: one <archive>=<path> per archive; " +
      "name.img = file or block device image, name.pxar / name.didx = directory, name.conf/.json/.key/.log = small file. " +
      "Unchanged sources are taken over from the last snapshot unless --no-change-detection; --rate limits each job (MiB/s).",
    spec: {
      positionals: ["store", "group", "archive=path..."],
      options: {
        ns: { type: "string" },
        "backup-time": { type: "string", description: "epoch seconds or YYYY-MM-DDTHH:MM:SSZ (default: now)" },
        rate: { type: "string", description: "MiB/s per job" },
        "no-change-detection": { type: "boolean", description: "read every source in full" },
        full: { type: "boolean", description: "same as --no-change-detection" },
      },
    },
    async run(args, format) {
      const store = checkDatastoreName(req(args, "store"));
      const ns = nsOf(args);
      const group = groupOf(req(args, "group"));
      const specs = args.rest.map((s) => parseArchiveSpec(s));
      checkDistinct(specs);
      for (const s of specs) await checkSource(s);
      const time = str(args, "backup-time");
      const rate = str(args, "rate");
      const full = args.options["no-change-detection"] === true || args.options.full === true;
      // Fast fail before a task exists: unknown store, missing namespace, maintenance. The task
      // checks again when it opens the datastore (authoritative).
      await withDatastore(store, "write", async (ds) => {
        if (!(await ds.namespaceExists(ns))) throw new CofferError("NOT_FOUND", `namespace '${ns}' does not exist in datastore '${store}'`);
      });
      return runTaskCommand(
        "backup",
        {
          store,
          ns: ns.toString(),
          "backup-type": group.type,
          "backup-id": group.id,
          ...(time === undefined ? {} : { "backup-time": parseBackupTimeOption(time) }),
          archives: specs.map((s) => ({ archive: s.archive, path: s.path })),
          ...(rate === undefined ? {} : { rate: parseRateOption(rate) }),
          "change-detection": !full,
        },
        format,
        { abortOnInterrupt: true },
      );
    },
  },
  {
    path: ["restore"],
    summary:
      "Restore one archive of a finished snapshot to <dest> (image or blob -> file, directory stream -> directory), " +
      "verifying every chunk. An existing <dest> is only replaced with --force.",
    spec: {
      positionals: ["store", "snapshot", "archive", "dest"],
      options: { ns: { type: "string" }, force: { type: "boolean" } },
    },
    async run(args, format) {
      const store = checkDatastoreName(req(args, "store"));
      const ns = nsOf(args);
      const snap = parseSnapshotPath(req(args, "snapshot"));
      const r = await withDatastore(store, "read", (ds) =>
        restoreArchive(ds, ns, snap, req(args, "archive"), req(args, "dest"), { force: args.options.force === true }),
      );
      emit(format, { filename: r.filename, kind: r.kind, dest: r.dest, bytes: r.bytes, chunks: r.chunks, ...(r.entries === undefined ? {} : { entries: r.entries }) }, () =>
        process.stdout.write(
          `restored ${r.filename} (${r.kind}, ${humanSize(r.bytes)}, ${r.chunks} chunks verified` +
            `${r.entries === undefined ? "" : `, ${r.entries} entries`}) to ${r.dest}\n`,
        ),
      );
    },
  },
];
