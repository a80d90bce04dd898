/**
 * Adds the scale datastore for e2e/scale.spec.ts to COFFER_HOME: a datastore `<store>` holding
 * namespace `big` with 10,000 groups, the last of which (vm/10000) has 5,000 snapshots
 * (server/datastore/test-support/big-namespace.ts). Does nothing when the store already holds
 * the namespace. Run as `node --import tsx e2e/support/build-big.ts <store>` with COFFER_HOME set.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { LocalChunkStore } from "../../server/datastore/storage/chunk-store";
import { listDatastoreConfigs, updateDatastoreConfigs } from "../../server/config/datastore-config";
import { buildBigNamespace } from "../../server/datastore/test-support/big-namespace";

const store = process.argv[2] ?? "scale";
const home = process.env.COFFER_HOME;
if (!home) throw new Error("COFFER_HOME is not set");
const started = performance.now();
let dir = (await listDatastoreConfigs()).find((c) => c.name === store)?.path;
if (!dir) {
  dir = path.join(home, "datastores", store);
  await LocalChunkStore.create(dir);
  const storeDir = dir;
  await updateDatastoreConfigs((list) => [...list, { name: store, path: storeDir }]);
}
if (!existsSync(path.join(dir, "ns", "big"))) {
  const big = await buildBigNamespace(store);
  console.log(`namespace big: ${big.groups} groups, ${big.snapshots} snapshots in vm/${big.history.id}, built in ${big.ms} ms`);
}
console.log(`store ${store} ready in ${Math.round(performance.now() - started)} ms`);
