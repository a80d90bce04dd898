/**
 * Child process for the runner tests: runs a task whose code throws from a timer (an uncaught
 * exception), the way a bug in an engine callback would.
 *   node --import tsx crash-task.ts
 * Prints the announcement as a JSON line, then exits with the task's status.
 */
import { z } from "zod";

import { registerTaskKind } from "../core/registry";
import { runWorker } from "../core/worker";

registerTaskKind({
  type: "debug-crash",
  args: z.object({}),
  async run(ctx) {
    ctx.log.info("about to crash");
    setTimeout(() => {
      throw new Error("boom from a timer");
    }, 10);
    await new Promise((resolve) => setTimeout(resolve, 5000));
  },
});

const code = await runWorker("debug-crash", "{}", { announce: (m) => console.log(JSON.stringify(m)) });
process.exit(code);
