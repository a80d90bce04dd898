/**
 * Child process for the maintenance race tests:
 *   node --import tsx open-loop.ts <store> <op> <loops> [churn]
 * Opens `<store>` for `<op>` over and over from `<loops>` concurrent loops, printing
 * `opened <n>` (the running total) after each success. Without `churn` it never closes. With
 * it, each loop uses its handle for 0 to 2 ms, prints `held <from> <to>` (epoch ms, fractions
 * included: from after the opening returned to before the close began), closes it again and
 * rests 0 to 1 ms, until a stdin line `stop` (then it prints `stopped`). Once every loop was
 * refused with PRECONDITION_FAILED, it writes its counts to the file and prints `refused <n>`
 * with the final total, then waits to be killed.
 */
import { createInterface } from "node:readline";
import type { Operation } from "../model/types";
import { openDatastore } from "../open";
import { flushActiveOperations } from "../state/active-operations";

const [store, op, loops, mode] = process.argv.slice(2);
const churn = mode === "churn";
let opened = 0;
let stop = false;
const now = () => performance.timeOrigin + performance.now();
async function loop(): Promise<void> {
  while (!stop) {
    let handle;
    try {
      handle = await openDatastore(store!, op as Operation);
    } catch (err) {
      if ((err as { code?: string }).code === "PRECONDITION_FAILED") return;
      throw err;
    }
    const from = now();
    opened++;
    process.stdout.write(`opened ${opened}\n`);
    // An opening can finish without leaving the event loop's turn (the file already shows this
    // process writing): without a turn in between, stdin, stdout and the refusal never come.
    if (!churn) {
      await new Promise((r) => setImmediate(r));
      continue;
    }
    await new Promise((r) => setTimeout(r, opened % 3));
    process.stdout.write(`held ${from} ${now()}\n`);
    await handle.close();
    await new Promise((r) => setTimeout(r, opened % 2)); // so that every loop is idle at times
  }
}
void (async () => {
  for await (const line of createInterface({ input: process.stdin })) if (line === "stop") stop = true;
  process.exit(0); // stdin closed: the test that started this process is gone
})();
await Promise.all(Array.from({ length: Number(loops ?? 1) }, loop));
if (stop) {
  process.stdout.write("stopped\n");
  process.exit(0);
}
await flushActiveOperations(store!);
process.stdout.write(`refused ${opened}\n`);
setInterval(() => {}, 1 << 30);
