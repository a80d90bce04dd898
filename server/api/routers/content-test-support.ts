/**
 * Helpers for the content and move router tests: a real lock holder in a child process
 * (`coffer debug hold-lock`), and waiting for a task to end.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
export { waitForTask } from "../../tasks/test-support/wait-for-task";

const COFFER = path.resolve("bin/coffer");

export interface HeldLock {
  child: ChildProcess;
  release(): Promise<void>;
}

/** Holds a group (or snapshot) lock in another process until released; resolves once held. */
export function holdLock(home: string, store: string, target: string, ns = ""): Promise<HeldLock> {
  const child = spawn(COFFER, ["debug", "hold-lock", store, target, "--ns", ns, "--seconds", "60"], {
    env: { ...process.env, COFFER_HOME: home },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const release = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (/^locked$/m.test(out)) resolve({ child, release });
    });
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    child.once("exit", (code) => reject(new Error(`hold-lock exited with ${code}: ${err}`)));
  });
}

