/**
 * The datastore config file, `COFFER_HOME/etc/datastore.json` (PBS: datastore.cfg). The engine
 * reads it to open a datastore and check its maintenance mode, and builds creation and removal
 * on top (server/datastore/lifecycle.ts). Written only under the config lock and atomically, so a reader never sees a
 * half-written file.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { paths } from "./paths";
import { CofferError, isErrno } from "../datastore/model/errors";
import { writeFileAtomic } from "../platform/atomic-file";
import { lockNamed } from "../platform/file-lock";
import { MAINTENANCE_TYPES, checkMaintenanceMessage } from "../datastore/model/maintenance";
import { SAFE_ID_REGEX } from "../datastore/model/names";

const maintenanceSchema = z.object({
  type: z.enum(MAINTENANCE_TYPES),
  message: z.string().optional(),
});

const datastoreSchema = z.object({
  name: z.string().regex(SAFE_ID_REGEX).min(3).max(32),
  path: z.string().startsWith("/"),
  comment: z.string().optional(),
  "maintenance-mode": maintenanceSchema.optional(),
});

const configSchema = z.object({ datastores: z.array(datastoreSchema) });

export type DatastoreConfig = z.infer<typeof datastoreSchema>;
type ConfigFile = z.infer<typeof configSchema>;

async function readConfigFile(): Promise<ConfigFile> {
  const file = paths.datastoreConfig();
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (err) {
    if (isErrno(err, "ENOENT")) return { datastores: [] };
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CofferError("INTERNAL", `unable to parse datastore config ${JSON.stringify(file)} - ${String(err)}`);
  }
  const parsed = configSchema.safeParse(json);
  if (!parsed.success) {
    throw new CofferError("INTERNAL", `invalid datastore config ${JSON.stringify(file)} - ${parsed.error.message}`);
  }
  return parsed.data;
}

export async function listDatastoreConfigs(): Promise<DatastoreConfig[]> {
  return (await readConfigFile()).datastores;
}

export async function getDatastoreConfig(name: string): Promise<DatastoreConfig> {
  const found = (await readConfigFile()).datastores.find((d) => d.name === name);
  if (!found) throw new CofferError("NOT_FOUND", `no such datastore '${name}'`);
  return found;
}

/** Lock guarding read-modify-write of the config (PBS .datastore.lck, 10 s). */
export function configLockPath(): string {
  return path.join(paths.globalLocks(), "datastore.cfg");
}

/** Runs `fn` under the config lock (changes, and opening a datastore: see open.ts). */
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
    const current = (await readConfigFile()).datastores;
    const next = await fn(current.map((d) => ({ ...d })));
    const sorted = [...next].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const doc: ConfigFile = configSchema.parse({ datastores: sorted });
    await writeFileAtomic(paths.datastoreConfig(), `${JSON.stringify(doc, null, 2)}\n`, 0o640);
    return sorted;
  });
}

/** Sets or clears (`undefined`) the maintenance mode of a datastore. */
export async function setMaintenanceMode(
  name: string,
  mode: DatastoreConfig["maintenance-mode"] | undefined,
): Promise<DatastoreConfig> {
  if (mode?.message !== undefined) checkMaintenanceMessage(mode.message);
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
