/**
 * The datastore config file, `COFFER_HOME/etc/datastore.json` (PBS: datastore.cfg). The engine
 * reads it to open a datastore and check its maintenance mode, and builds creation and removal
 * on top (server/datastore/lifecycle.ts). Written only under the config lock and atomically
 * (temp file + rename), so a reader never sees a half-written file and needs no lock: only
 * writers take the config lock. See docs/architecture.md, "Reads never wait on writers".
 */
import { mkdirSync, promises as fs } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { paths } from "./paths";
import { CofferError } from "../datastore/model/errors";
import { writeFileAtomic } from "../platform/atomic-file";
import { readJsonFileCached, writeJsonFileDone } from "../platform/json-file-cache";
import { lockNamed } from "../platform/file-lock";
import { MAINTENANCE_TYPES, checkMaintenanceMessage } from "../datastore/model/maintenance";
import { SAFE_ID_REGEX } from "../datastore/model/names";
import {
  COMPRESSIONS,
  DEFAULT_COMPRESSION_LEVEL,
  MAX_COMPRESSION_LEVEL,
  MIN_COMPRESSION_LEVEL,
  type CompressionSetting,
} from "../datastore/model/compression";

const maintenanceSchema = z.object({
  type: z.enum(MAINTENANCE_TYPES),
  message: z.string().optional(),
});

const datastoreSchema = z.object({
  name: z.string().regex(SAFE_ID_REGEX).min(3).max(32),
  path: z.string().startsWith("/"),
  comment: z.string().optional(),
  "maintenance-mode": maintenanceSchema.optional(),
  /**
   * How backups store new chunks and blobs: "zstd" (the default: kept only when smaller, as PBS)
   * or "none" (every one uncompressed, the format before issue 13; still valid PBS). Reading
   * accepts both whatever this says.
   */
  compression: z.enum(COMPRESSIONS).optional(),
  /** zstd level with compression "zstd", default DEFAULT_COMPRESSION_LEVEL. */
  "compression-level": z.number().int().min(MIN_COMPRESSION_LEVEL).max(MAX_COMPRESSION_LEVEL).optional(),
  /** PBS `gc-schedule`: a calendar event (checked by server/jobs when it is set). */
  "gc-schedule": z.string().optional(),
  /** PBS 4.2 property string `type=s3,client=<id>,bucket=<name>` (s3-config.ts); absent: local. */
  backend: z.string().optional(),
});

export { DEFAULT_COMPRESSION_LEVEL };

/** The zstd level a datastore's backups write with; 0: uncompressed. */
export function compressionLevel(config: Pick<DatastoreConfig, "compression" | "compression-level">): number {
  if (config.compression === "none") return 0;
  return config["compression-level"] ?? DEFAULT_COMPRESSION_LEVEL;
}

/** The setting as the API and the console show it. */
export function compressionSetting(config: Pick<DatastoreConfig, "compression" | "compression-level">): CompressionSetting {
  const level = compressionLevel(config);
  return level > 0 ? { type: "zstd", level } : { type: "none" };
}

const configSchema = z.object({ datastores: z.array(datastoreSchema) });

export type DatastoreConfig = z.infer<typeof datastoreSchema>;
type ConfigFile = z.infer<typeof configSchema>;

/**
 * The config, parsed once per file version and frozen (platform/json-file-cache.ts: one `stat`
 * per read while unchanged; every API request opens a store). updateDatastoreConfigs hands
 * `fn` copies.
 */
function readConfigFile(): ConfigFile {
  return readJsonFileCached(paths.datastoreConfig(), configSchema, "datastore config") ?? { datastores: [] };
}

export async function listDatastoreConfigs(): Promise<DatastoreConfig[]> {
  return readConfigFile().datastores;
}

export async function getDatastoreConfig(name: string): Promise<DatastoreConfig> {
  return datastoreConfigNow(name);
}

/**
 * getDatastoreConfig without an await: the config is read through a cache checked against the
 * file's version, with synchronous calls. For a check that must happen in one step with what
 * it guards (state/active-operations.ts admitOperation).
 */
export function datastoreConfigNow(name: string): DatastoreConfig {
  const found = readConfigFile().datastores.find((d) => d.name === name);
  if (!found) throw new CofferError("NOT_FOUND", `no such datastore '${name}'`);
  return found;
}

/** Lock guarding read-modify-write of the config (PBS .datastore.lck, 10 s). */
export function configLockPath(): string {
  return path.join(paths.globalLocks(), "datastore.cfg");
}

/**
 * Runs `fn` under the config lock. Writers only: reading the config needs no lock (it is
 * replaced whole), and opening a datastore takes the per-datastore lock instead
 * (withDatastoreLock), so readers of one store never queue behind writers of the config.
 */
export async function withConfigLock<T>(fn: () => Promise<T>): Promise<T> {
  const guard = await lockNamed(configLockPath());
  try {
    return await fn();
  } finally {
    await guard.release();
  }
}

/**
 * Changes the config under its lock: `fn` gets the current list and returns the new one.
 * The config directory is created with owner-only permissions on first write.
 */
export async function updateDatastoreConfigs(
  fn: (current: DatastoreConfig[]) => DatastoreConfig[] | Promise<DatastoreConfig[]>,
): Promise<DatastoreConfig[]> {
  await fs.mkdir(paths.etc(), { recursive: true, mode: 0o700 });
  return withConfigLock(async () => {
    const current = readConfigFile().datastores;
    const next = await fn(current.map((d) => structuredClone(d)));
    const sorted = [...next].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const doc: ConfigFile = configSchema.parse({ datastores: sorted });
    await writeFileAtomic(paths.datastoreConfig(), `${JSON.stringify(doc, null, 2)}\n`, 0o640);
    writeJsonFileDone(paths.datastoreConfig());
    return sorted;
  });
}

/**
 * The per-datastore lock, `run/active-operations/<store>.lock` (the lock of the active-operations
 * file, 10 s). Opening a datastore checks the maintenance mode and counts the operation while
 * holding it, and changing the maintenance mode holds it too, so no operation is counted after
 * a mode that refuses it was set (PBS 6.3). Held for a read and a write of small files only.
 */
export function datastoreLockPath(name: string): string {
  // The name becomes a path component: anything but a datastore name is no datastore at all.
  if (!SAFE_ID_REGEX.test(name) || name.length < 3 || name.length > 32) throw new CofferError("NOT_FOUND", `no such datastore '${name}'`);
  return `${paths.activeOperations(name)}.lock`;
}

/** Runs `fn` under the per-datastore lock (see datastoreLockPath). Not reentrant. */
export async function withDatastoreLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const lockPath = datastoreLockPath(name);
  mkdirSync(path.dirname(lockPath), { recursive: true }); // in run/: quicker than a trip through the file thread pool
  const guard = await lockNamed(lockPath);
  try {
    return await fn();
  } finally {
    await guard.release();
  }
}

/**
 * Sets or clears (`undefined`) the maintenance mode of a datastore, under the per-datastore
 * lock (then the config lock): an opening that checked the old mode has counted its operation
 * before the new mode is in place, and every later opening sees the new mode.
 */
export async function setMaintenanceMode(
  name: string,
  mode: DatastoreConfig["maintenance-mode"] | undefined,
): Promise<DatastoreConfig> {
  if (mode?.message !== undefined) checkMaintenanceMessage(mode.message);
  await getDatastoreConfig(name); // NOT_FOUND before any lock is made for a name never configured
  return withDatastoreLock(name, () => writeMaintenanceMode(name, mode));
}

async function writeMaintenanceMode(name: string, mode: DatastoreConfig["maintenance-mode"] | undefined): Promise<DatastoreConfig> {
  let updated: DatastoreConfig | undefined;
  await updateDatastoreConfigs((list) => {
    const store = list.find((d) => d.name === name);
    if (!store) throw new CofferError("NOT_FOUND", `no such datastore '${name}'`);
    // PBS: while the mode is `delete`, nothing but `delete` may be set again.
    if (store["maintenance-mode"]?.type === "delete" && mode?.type !== "delete") {
      throw new CofferError("PRECONDITION_FAILED", "datastore is being deleted");
    }
    if (mode) store["maintenance-mode"] = mode.message ? mode : { type: mode.type };
    else delete store["maintenance-mode"];
    updated = store;
    return list;
  });
  return updated!;
}
