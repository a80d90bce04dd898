/**
 * Child process for the lock tests:
 *   node --import tsx hold-lock.ts <lock-path> <shared|exclusive|intent|total|named> [upid] [timeoutMs]
 * (`named`: the waiting exclusive lock of config files and the move journal, lockNamed.)
 * Prints `locked` once held (or `error <message>` and exits 2), then obeys stdin lines:
 * `release` (prints `released` and exits), `signal?` (prints `signal ok` or `signal aborted`).
 */
import { createInterface } from "node:readline";

import { errorMessage } from "../model/errors";
import { acquireLock, type AcquireMode, lockNamed, setLockOwnerTask } from "../../platform/file-lock";

const [lockPath, mode, upid, timeout] = process.argv.slice(2);
const MODES = ["shared", "exclusive", "intent", "total", "named"];
if (!lockPath || !MODES.includes(mode ?? "")) {
  console.error(`usage: hold-lock.ts <lock-path> <${MODES.join("|")}> [upid] [timeoutMs]`);
  process.exit(64);
}
if (upid) setLockOwnerTask(upid);

try {
  const guard =
    mode === "named"
      ? await lockNamed(lockPath, Number(timeout ?? 0))
      : await acquireLock(lockPath, { mode: mode as AcquireMode, timeoutMs: Number(timeout ?? 0) });
  console.log("locked");
  // Keeps the process alive (the heartbeat timer is unref'd) and takes commands.
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === "release") {
      await guard.release();
      console.log("released");
      process.exit(0);
    } else if (line === "signal?") {
      console.log(guard.signal.aborted ? "signal aborted" : "signal ok");
    }
  }
} catch (err) {
  console.log(`error ${errorMessage(err)}`);
  process.exit(2);
}
