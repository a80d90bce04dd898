/**
 * Child process for the maintenance race test: opens `<store>` for `<op>` over and over from
 * `<loops>` concurrent loops, never closing, printing `opened <n>` (the running total) after
 * each success; once every loop was refused with PRECONDITION_FAILED it prints `refused <n>`
 * with the final total and waits to be killed.
 */
import type { Operation } from "../model/types";
import { openDatastore } from "../open";

const [store, op, loops] = process.argv.slice(2);
let opened = 0;
async function loop(): Promise<void> {
  for (;;) {
    try {
      await openDatastore(store!, op as Operation);
    } catch (err) {
      if ((err as { code?: string }).code === "PRECONDITION_FAILED") return;
      throw err;
    }
    opened++;
    process.stdout.write(`opened ${opened}\n`);
  }
}
await Promise.all(Array.from({ length: Number(loops ?? 1) }, loop));
process.stdout.write(`refused ${opened}\n`);
setInterval(() => {}, 1 << 30);
