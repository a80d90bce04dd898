/**
 * Every task kind Coffer can run, registered in one place (DESIGN.md 7). Both the starting
 * side (runner.ts, to fail fast on bad arguments) and the task process (worker.ts) import this
 * module, so they always know the same kinds.
 *
 * To add a kind: define its zod arguments and a `run(ctx, args)` that calls the engine with
 * `ctx.log` as its EngineLog and `ctx.signal` / `ctx.checkAbort()` for abort, then register it
 * here, e.g.
 *
 *   registerTaskKind({
 *     type: "move-group",
 *     args: moveGroupArgs,
 *     workerId: (a) => `${a.store}:${a.ns}:${a.group}`,
 *     run: (ctx, a) => moveGroup(a, { log: ctx.log, signal: ctx.signal }),
 *   });
 */
import { debugSleepKind } from "./debug-sleep";
import { moveGroupKind, moveNamespaceKind } from "./move-kinds";
import { registerTaskKind } from "./registry";

registerTaskKind(debugSleepKind);
registerTaskKind(moveGroupKind);
registerTaskKind(moveNamespaceKind);

export { registerTaskKind };
