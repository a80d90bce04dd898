/**
 * Child process for the active-operations and writer tests:
 *   node --import tsx hold-operation.ts <store> <read|write|writer>
 * Counts one operation (or registers a backup writer), prints `registered`, then waits until
 * killed; stdin `done` undoes it, prints `done` and exits.
 */
import { createInterface } from "node:readline";

import { updateActiveOperations } from "../state/active-operations";
import { registerWriter } from "../state/writers";

const [store, what] = process.argv.slice(2);
if (!store || (what !== "read" && what !== "write" && what !== "writer")) {
  console.error("usage: hold-operation.ts <store> <read|write|writer>");
  process.exit(64);
}

let undo: () => Promise<void>;
if (what === "writer") {
  const writer = await registerWriter(store);
  console.log(`registered ${writer.startedAt}`);
  undo = () => writer.unregister();
} else {
  await updateActiveOperations(store, what, 1);
  console.log("registered");
  undo = () => updateActiveOperations(store, what, -1);
}
for await (const line of createInterface({ input: process.stdin })) {
  if (line === "done") {
    await undo();
    console.log("done");
    process.exit(0);
  }
}
