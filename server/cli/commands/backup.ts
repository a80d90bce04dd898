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
import { checkDistinct, checkSource, CHUNK_SIZE_RULE, DEFAULT_DIRECTORY_CHUNK_SIZE, DEFAULT_IMAGE_CHUNK_SIZE, isChunkSizeKiB, parseArchiveSpec } from "../../datastore";
import { restoreArchive } from "../../datastore";
import { humanSize } from "../../datastore";
import { CofferError } from "../../datastore/model/errors";
import { checkDatastoreName, parseBackupTime, parseSnapshotPath } from "../../datastore/model/names";
import { UsageError } from "../args";
import type { Command } from "../command";
import { GROUP, NS_OPTION, SNAPSHOT, STORE, groupOf, nsOf, req, str, withDatastore } from "../command";
import { backupTimeSchema } from "../../datastore/model/schemas";
import { emit } from "../output";
import { runTaskCommand } from "../run-task";


/** The latest backup time a snapshot may carry (PBS: the end of year 9999), as the backup task checks it. */
const MAX_BACKUP_TIME = backupTimeSchema.maxValue ?? 253402300799;

/** The largest `--rate`, as the backup task checks it (1 TiB/s: no limit in practice). */
export const MAX_RATE_MIB = 1024 * 1024;

/** `--backup-time`: epoch seconds or `YYYY-MM-DDTHH:MM:SSZ`, up to the end of year 9999. */
export function parseBackupTimeOption(s: string): number {
  const allowed = "epoch seconds or YYYY-MM-DDTHH:MM:SSZ, up to 9999-12-31T23:59:59Z";
  let t: number;
  if (/^[0-9]+$/.test(s)) t = Number(s);
  else {
    try {
      t = parseBackupTime(s);
    } catch {
      throw new UsageError(`option --backup-time takes ${allowed}, not '${s}'`);
    }
  }
  if (!(t <= MAX_BACKUP_TIME)) throw new UsageError(`option --backup-time takes ${allowed}, not '${s}'`);
  return t;
}

/** `--rate`: MiB/s, a number above 0 (decimals allowed) and at most MAX_RATE_MIB. */
export function parseRateOption(s: string): number {
  const n = Number(s);
  if (!/^[0-9]+(\.[0-9]+)?$/.test(s) || !(n > 0) || n > MAX_RATE_MIB) {
    throw new UsageError(`option --rate takes MiB/s, a number above 0 and at most ${MAX_RATE_MIB}, not '${s}'`);
  }
  return n;
}

/** `--chunk-size`: KiB, as PBS's client takes it. */
export function parseChunkSizeOption(s: string): number {
  const n = Number(s);
  if (!/^[0-9]+$/.test(s) || !isChunkSizeKiB(n)) throw new UsageError(`option --chunk-size takes ${CHUNK_SIZE_RULE}, not '${s}'`);
  return n;
}

export const backupCommands: Command[] = [
  {
    path: ["backup"],
    summary: "Back up files, images and directories into a new snapshot (a task)",
    description:
      "Back up sources into a new snapshot of a group, as one all-or-nothing task; Ctrl-C aborts it. One <archive>=<path> per archive: " +
      "name.img = file or block device image, name.pxar or name.didx = directory, name.conf/.json/.key/.log = small file. " +
      "Unchanged sources are taken over from the group's last snapshot unless --full.",
    spec: {
      positionals: [
        STORE,
        GROUP,
        { name: "archive=path", metavar: "<archive>=<path>", variadic: true, description: "what to back up, e.g. root.pxar=/home or disk.img=/dev/vdb" },
      ],
      options: {
        ns: { ...NS_OPTION, description: 'the namespace of the group (default: the root namespace, "")' },
        "backup-time": { type: "string", metavar: "T", description: "the snapshot's time: epoch seconds or YYYY-MM-DDTHH:MM:SSZ (default: now)" },
        rate: { type: "string", metavar: "MiB/s", description: `read at most this many MiB/s per archive (above 0, at most ${MAX_RATE_MIB})` },
        "chunk-size": {
          type: "string",
          metavar: "KiB",
          description:
            "chunk size of images and average chunk size of directories: 64, 128, ... 4096 " +
            `(default: ${DEFAULT_IMAGE_CHUNK_SIZE / 1024} for images, ${DEFAULT_DIRECTORY_CHUNK_SIZE / 1024} for directories)`,
        },
        full: { type: "boolean", description: "read every source in full (no change detection)" },
        "no-change-detection": { type: "boolean", description: "same as --full" },
      },
    },
    async run(args, format) {
      const store = checkDatastoreName(req(args, "store"));
      const ns = nsOf(args);
      const group = groupOf(req(args, "group"));
      const time = str(args, "backup-time");
      const rate = str(args, "rate");
      const backupTime = time === undefined ? undefined : parseBackupTimeOption(time);
      const rateMiB = rate === undefined ? undefined : parseRateOption(rate);
      const chunkOption = str(args, "chunk-size");
      const chunkSize = chunkOption === undefined ? undefined : parseChunkSizeOption(chunkOption);
      const specs = args.rest.map((s) => parseArchiveSpec(s));
      checkDistinct(specs);
      for (const s of specs) await checkSource(s);
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
          ...(backupTime === undefined ? {} : { "backup-time": backupTime }),
          archives: specs.map((s) => ({ archive: s.archive, path: s.path })),
          ...(rateMiB === undefined ? {} : { rate: rateMiB }),
          ...(chunkSize === undefined ? {} : { "chunk-size": chunkSize }),
          "change-detection": !full,
        },
        format,
        { abortOnInterrupt: true },
      );
    },
  },
  {
    path: ["restore"],
    summary: "Restore one archive of a snapshot to a local file or directory",
    description:
      "Restore one archive of a finished snapshot to <dest> (an image or blob to a file, a directory stream to a directory), " +
      "checking every chunk. An existing <dest> is only replaced with --force.",
    spec: {
      positionals: [
        STORE,
        SNAPSHOT,
        { name: "archive", metavar: "<archive>", description: "the archive's name, e.g. root.pxar or disk.img" },
        { name: "dest", metavar: "<dest>", description: "the file or directory to restore to" },
      ],
      options: {
        ns: { ...NS_OPTION, description: 'the namespace of the snapshot (default: the root namespace, "")' },
        force: { type: "boolean", description: "replace an existing <dest>" },
      },
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
