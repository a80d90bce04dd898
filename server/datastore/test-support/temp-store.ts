/**
 * Test support for engine tests: a temporary COFFER_HOME with one real datastore (a real chunk
 * store with its 65,536 prefix directories, on tmpfs when there is one), and a quick way to
 * write real snapshots through the engine's own writer.
 */
import path from "node:path";
import { LocalChunkStore } from "../storage/chunk-store";
import { updateDatastoreConfigs } from "../../config/datastore-config";
import { BackupNamespace, parseGroupPath } from "../model/names";
import { openDatastore, type WriteHandle } from "../open";
import { LOCAL_ROOT } from "../model/owner";
import { SnapshotWriter } from "../backup/snapshot-writer";
import { useTempHome } from "./lock-env";

export interface TempStore {
  home: string;
  name: string;
  path: string;
  cleanup: () => Promise<void>;
}

export async function useTempStore(name = "store1"): Promise<TempStore> {
  const h = await useTempHome();
  const dir = path.join(h.home, "datastores", name);
  await LocalChunkStore.create(dir);
  await updateDatastoreConfigs((list) => [...list, { name, path: dir }]);
  return { ...h, name, path: dir };
}

/** Opens the store for writing for the length of `fn`. */
export async function withWrite<T>(store: string, fn: (ds: WriteHandle) => Promise<T>): Promise<T> {
  const ds = await openDatastore(store, "write");
  try {
    return await fn(ds);
  } finally {
    await ds.close();
  }
}

/**
 * Writes a finished snapshot `type/id` at `time` in namespace `ns` holding a small config blob
 * and, when `image` is given, a fixed-chunk image of those bytes.
 */
export async function writeSnapshot(
  ds: WriteHandle,
  ns: string,
  group: string,
  time: number,
  opts: { owner?: string; image?: Buffer; notes?: string; protect?: boolean; finish?: boolean } = {},
): Promise<void> {
  const w = await SnapshotWriter.begin(ds, BackupNamespace.parse(ns), parseGroupPath(group), {
    authId: opts.owner ?? LOCAL_ROOT,
    backupTime: time,
  });
  try {
    await w.writeBlob("test.conf", Buffer.from(`${group} at ${time}\n`));
    if (opts.image) {
      const img = opts.image;
      await w.writeFixed("disk.img", (async function* () { yield img; })(), { chunkSize: 64 * 1024 });
    }
    if (opts.finish === false) await w.detach();
    else await w.finish({ notes: opts.notes, protect: opts.protect });
  } catch (err) {
    await w.abort(err);
    throw err;
  }
}
