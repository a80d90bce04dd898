/**
 * `s3-refresh` (PBS 4.2 run_maintenance_locked, reference 6.3): puts the datastore in
 * `s3-refresh` maintenance (which refuses reads and writes, lookups still work), waits until no
 * read or write operation is active, rebuilds the cache from the bucket, and clears the mode.
 * While it waits, an abort or a mode changed by someone else ends it: the mode is reset if it
 * is still ours, and the run fails with `aborted, due to user request` (PBS's wording).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { getActiveOperations } from "./active-operations";
import type { RefreshStats } from "../storage/s3-refresh";
import { getDatastoreConfig, setMaintenanceMode } from "../../config/datastore-config";
import { parseBackend } from "../../config/s3-config";
import { CofferError, errorMessage } from "../model/errors";
import { type EngineLog, nullLog } from "../model/log";

/** PBS polls once a second; so does this (the counts live in a file other processes update). */
const POLL_MS = 1000;

export async function refreshDatastore(name: string, opts: { log?: EngineLog; signal?: AbortSignal } = {}): Promise<RefreshStats> {
  const log = opts.log ?? nullLog;
  const config = await getDatastoreConfig(name);
  if (!parseBackend(config.backend)) {
    throw new CofferError("BAD_REQUEST", `datastore '${name}' is not on S3: only an S3 datastore has a cache to refresh`);
  }
  const mode = config["maintenance-mode"];
  if (mode && mode.type !== "s3-refresh") {
    throw new CofferError("CONFLICT", `datastore '${name}' is in ${mode.type} maintenance mode: clear it before a refresh`);
  }
  await setMaintenanceMode(name, { type: "s3-refresh" });
  const stillOurs = async () => (await getDatastoreConfig(name))["maintenance-mode"]?.type === "s3-refresh";
  try {
    let last = "";
    for (;;) {
      const ops = await getActiveOperations(name);
      if (ops.read + ops.write === 0) break;
      const line = `waiting for active operations to finsish before continuing: read ${ops.read}, write ${ops.write}`;
      if (line !== last) log.info(line);
      last = line;
      if (opts.signal?.aborted) throw new CofferError("ABORTED", "aborted, due to user request");
      if (!(await stillOurs())) throw new CofferError("CONFLICT", "maintenance mode is not 's3-refresh'");
      await sleep(POLL_MS, undefined, { signal: opts.signal }).catch(() => undefined);
    }
    if (!(await stillOurs())) throw new CofferError("CONFLICT", "maintenance mode is not 's3-refresh'");
    log.info(`refreshing the local cache of datastore '${name}' from its bucket`);
    const { refreshCache } = await import("../storage/s3-open");
    return await refreshCache(await getDatastoreConfig(name), log, opts.signal);
  } finally {
    try {
      if (await stillOurs()) await setMaintenanceMode(name, undefined);
    } catch (err) {
      log.warn(`could not reset maintenance mode: ${errorMessage(err)}`);
    }
  }
}
