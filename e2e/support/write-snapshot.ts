/**
 * Writes one real snapshot through the engine's own writer, for e2e journeys that need a state
 * no console action creates (a second group with the same id and another owner, to see a merge
 * conflict). Run as `node --import tsx e2e/support/write-snapshot.ts <store> <ns> <type/id> <epoch> <owner>`
 * with COFFER_HOME set.
 */
import { writeSnapshot, withWrite } from "../../server/datastore/test-support/temp-store";

const [store, ns, group, time, owner] = process.argv.slice(2);
await withWrite(store!, (ds) => writeSnapshot(ds, ns!, group!, Number(time), { owner }));
