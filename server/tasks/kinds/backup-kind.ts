/**
 * Task kind `backup` (PBS worker type; worker id `<store>:<ns>/<type>/<id>`): one snapshot, one
 * job per archive, all or nothing (server/datastore/backup/backup.ts). Opens the datastore for
 * `write`, so read-only and offline maintenance refuse it with the maintenance message, and a
 * running backup counts as a write operation. The snapshot's owner is the task's auth id (the
 * UPID's), as PBS makes the authenticated user the owner. An API starting it must require
 * what PBS's backup protocol requires: Datastore.Backup on /datastore/<store>[/<ns>] (the
 * owner check against an existing group runs in the task).
 */
import { z } from "zod";
import { archiveSpec, checkDistinct, CHUNK_SIZE_RULE, isChunkSizeKiB } from "../../datastore";
import { runBackup } from "../../datastore";
import { humanSize } from "../../datastore";
import { MIB } from "../../datastore";
import { BackupNamespace, formatBackupTime } from "../../datastore/model/names";
import { backupIdSchema, backupTimeSchema, backupTypeSchema, namespaceSchema, storeNameSchema } from "../../datastore/model/schemas";
import { withDatastore } from "../../datastore";
import type { TaskKind } from "../core/registry";
import { parseUpid } from "../core/upid";

export const backupArgs = z
  .object({
    store: storeNameSchema,
    ns: namespaceSchema,
    "backup-type": backupTypeSchema,
    "backup-id": backupIdSchema,
    /** Epoch seconds; default: when the task starts. */
    "backup-time": backupTimeSchema.optional(),
    archives: z
      .array(z.object({ archive: z.string(), path: z.string() }).strict())
      .min(1, "give at least one archive")
      .superRefine((list, ctx) => {
        try {
          checkDistinct(list.map((a) => archiveSpec(a.archive, a.path)));
        } catch (err) {
          ctx.addIssue({ code: "custom", message: (err as Error).message });
        }
      }),
    /** Per-job read limit in MiB/s. */
    rate: z.number().positive().max(1024 * 1024).optional(),
    "change-detection": z.boolean().default(true),
    /** PBS's `--chunk-size` in KiB: images' chunk size, directories' average (chunk-size.ts). */
    "chunk-size": z
      .number()
      .refine(isChunkSizeKiB, { error: (issue) => `chunk size must be ${CHUNK_SIZE_RULE}, not ${String(issue.input)}` })
      .optional(),
  })
  .strict();
export type BackupArgs = z.infer<typeof backupArgs>;

export const backupKind: TaskKind<BackupArgs> = {
  type: "backup",
  args: backupArgs,
  workerId: (a) => `${a.store}:${a.ns}/${a["backup-type"]}/${a["backup-id"]}`,
  async run(ctx, a) {
    await withDatastore(a.store, "write", async (ds) => {
      const r = await runBackup(
        ds,
        BackupNamespace.parse(a.ns),
        { type: a["backup-type"], id: a["backup-id"] },
        a.archives.map((x) => archiveSpec(x.archive, x.path)),
        {
          authId: parseUpid(ctx.upid).authId,
          backupTime: a["backup-time"],
          rate: a.rate === undefined ? undefined : a.rate * MIB,
          changeDetection: a["change-detection"],
          chunkSize: a["chunk-size"] === undefined ? undefined : a["chunk-size"] * 1024,
          log: ctx.log,
          signal: ctx.signal,
        },
      );
      const read = r.jobs.filter((j) => !j.unchanged).reduce((n, j) => n + j.size, 0);
      const newChunks = r.jobs.reduce((n, j) => n + j.newChunks, 0);
      const written = r.jobs.reduce((n, j) => n + j.writtenBytes, 0);
      ctx.log.info(
        `backup ${formatBackupTime(r.snapshot.time)} done in ${r.seconds.toFixed(2)} s: ${r.jobs.length} archives, ` +
          `${humanSize(read)} read, ${newChunks} new chunks, ${humanSize(written)} written`,
      );
    });
  },
};
