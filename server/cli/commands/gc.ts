/**
 * `coffer gc <store>` runs garbage collection as a worker task (PBS
 * `proxmox-backup-manager garbage-collection start`); `coffer gc status <store>` shows what the
 * last run left in `.gc-status`. Ctrl-C on `gc` only stops following: the GC goes on, as a
 * GC started from the console does; `coffer task stop <upid>` aborts it.
 */
import { emptyGcStatus, humanByte, readGcStatus, type GcStatus } from "../../datastore";
import { checkDatastoreName } from "../../datastore/model/names";

import { taskStatus } from "../../tasks/core/task-status";
import type { Command } from "../command";
import { STORE, req, withDatastore } from "../command";
import { printJson } from "../output";
import { runTaskCommand } from "../run-task";

/** `OK`, `WARNINGS: 1`, an error, `running`; undefined when the task log is gone. */
async function lastRunState(upid: string): Promise<string | undefined> {
  try {
    const s = await taskStatus(upid);
    return s.exitstatus ?? s.status;
  } catch {
    return undefined;
  }
}

function statusText(store: string, s: GcStatus, state: string | undefined): string {
  const lines = [`datastore: ${store}`, `last run: ${s.upid}${state ? ` (${state})` : ""}`];
  lines.push(`index files: ${s["index-file-count"]}`);
  lines.push(`original data usage: ${humanByte(s["index-data-bytes"])}`);
  const pct = s["index-data-bytes"] > 0 ? ` (${((s["disk-bytes"] * 100) / s["index-data-bytes"]).toFixed(2)}%)` : "";
  lines.push(`on-disk usage: ${humanByte(s["disk-bytes"])}${pct} in ${s["disk-chunks"]} chunks`);
  const dedup = s["disk-bytes"] > 0 ? s["index-data-bytes"] / s["disk-bytes"] : 1;
  lines.push(`deduplication factor: ${dedup.toFixed(2)}`);
  lines.push(`removed garbage: ${humanByte(s["removed-bytes"])} in ${s["removed-chunks"]} chunks`);
  lines.push(`pending removals: ${humanByte(s["pending-bytes"])} in ${s["pending-chunks"]} chunks`);
  lines.push(`bad chunks: ${s["removed-bad"]} removed, ${s["still-bad"]} left`);
  const cache = s["cache-stats"];
  if (cache) lines.push(`chunk cache: hits ${cache.hits}, misses ${cache.misses}`);
  return `${lines.join("\n")}\n`;
}

export const gcCommands: Command[] = [
  {
    path: ["gc"],
    summary: "Run garbage collection: remove chunks no snapshot uses (a task)",
    description:
      "Run garbage collection on a datastore as a task: remove the chunks no snapshot references. " +
      "Ctrl-C only stops following; 'coffer task stop <upid>' aborts it.",
    spec: { positionals: [STORE], options: {} },
    async run(args, format) {
      const store = checkDatastoreName(req(args, "store"));
      // A datastore that does not exist is refused here, without a task (as PBS's API does);
      // the maintenance check for the write operation happens in the task.
      await withDatastore(store, "lookup", async () => undefined);
      return runTaskCommand("garbage_collection", { store }, format, { abortOnInterrupt: false });
    },
  },
  {
    path: ["gc", "status"],
    summary: "Show the result of the last garbage collection",
    spec: { positionals: [STORE], options: {} },
    async run(args, format) {
      const store = req(args, "store");
      const status = await withDatastore(store, "read", (ds) => readGcStatus(ds));
      if (format === "json") {
        // Never run: PBS's default status (all zero, no UPID).
        const empty = emptyGcStatus(null);
        delete empty["cache-stats"];
        return printJson(status ?? empty);
      }
      if (!status) {
        process.stdout.write(`no garbage collection has run on datastore '${store}' yet\n`);
        return;
      }
      process.stdout.write(statusText(store, status, status.upid ? await lastRunState(status.upid) : undefined));
    },
  },
];
