/**
 * `debug-sleep`: a task that only logs `progress i of N` every 100 ms and checks for abort
 * between steps. Tests (here and in the console's end-to-end suite) use it to have a running
 * task to list, follow and stop without touching a datastore.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { z } from "zod";

import { paths } from "../../config/paths";
import { CofferError } from "../../datastore/model/errors";
import type { TaskKind } from "../core/registry";

const STEP_MS = 100;

export const debugSleepArgs = z.object({
  /** Run time; one step per 100 ms. */
  seconds: z.number().min(0).max(86400),
  /** End with `TASK ERROR` instead of `TASK OK`. */
  fail: z.boolean().optional(),
  /** Log one warning first (the task then ends `TASK WARNINGS: 1`). */
  warn: z.boolean().optional(),
  /** Worker id (to try the UPID escaping end to end). */
  id: z.string().optional(),
  /**
   * After its steps, wait until the file `run/debug-gates/<gate>` exists, so that a test can
   * look at the running task for as long as it needs on a busy machine, then let it finish.
   */
  gate: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "a gate name is 1 to 64 characters of A-Z a-z 0-9 _ -").optional(),
});

/** Opens the gate a `debug-sleep` task with this `gate` waits for. */
export function debugGatePath(gate: string): string {
  return path.join(paths.debugGates(), gate);
}

export type DebugSleepArgs = z.infer<typeof debugSleepArgs>;

export const debugSleepKind: TaskKind<DebugSleepArgs> = {
  type: "debug-sleep",
  args: debugSleepArgs,
  workerId: (a) => a.id,
  async run(ctx, a) {
    const steps = Math.max(1, Math.round((a.seconds * 1000) / STEP_MS));
    if (a.warn) ctx.log.warn("debug-sleep: a warning, as requested");
    for (let i = 1; i <= steps; i++) {
      ctx.checkAbort();
      ctx.log.progress(`progress ${i} of ${steps}`);
      await sleep(STEP_MS, ctx.signal);
    }
    if (a.gate) {
      ctx.log.info(`debug-sleep: waiting for gate '${a.gate}'`);
      while (!existsSync(debugGatePath(a.gate))) {
        ctx.checkAbort();
        await sleep(STEP_MS, ctx.signal);
      }
    }
    ctx.checkAbort();
    if (a.fail) throw new CofferError("INTERNAL", "debug-sleep failed as requested (--fail)");
  },
};

/** Sleeps, waking early when `signal` aborts (the caller's next checkAbort then throws). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}
