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
import { backupKind } from "./backup-kind";
import { debugSleepKind } from "./debug-sleep";
import { debugWriteHoldKind } from "./debug-write-hold";
import { gcKind } from "./gc-kind";
import { pruneJobKind, verificationJobKind } from "./job-kinds";
import { moveGroupKind, moveNamespaceKind } from "./move-kinds";
import { pruneKind } from "./prune-kind";
import { s3RefreshKind } from "./s3-refresh-kind";
import { registerTaskKind } from "../core/registry";
import { verifyGroupKind, verifyKind, verifySnapshotKind } from "./verify-kind";

registerTaskKind(debugSleepKind);
registerTaskKind(debugWriteHoldKind);
registerTaskKind(moveGroupKind);
registerTaskKind(moveNamespaceKind);
registerTaskKind(gcKind);
registerTaskKind(verifyKind);
registerTaskKind(verifyGroupKind);
registerTaskKind(verifySnapshotKind);
registerTaskKind(pruneKind);
registerTaskKind(backupKind);
registerTaskKind(pruneJobKind);
registerTaskKind(verificationJobKind);
registerTaskKind(s3RefreshKind);

export { registerTaskKind };
