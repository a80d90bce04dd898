/** Starting a real task process from an e2e spec, as an admin would from the command line. */
import { spawn } from "node:child_process";
import path from "node:path";

/** Starts a task process with `coffer task run` (it prints its UPID first) and returns the UPID. */
export function startTask(kind: string, args: unknown): Promise<string> {
  const child = spawn(path.resolve("bin/coffer"), ["task", "run", kind, "--args", JSON.stringify(args)], {
    env: { ...process.env, COFFER_HOME: process.env.COFFER_E2E_HOME },
    detached: true,
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
      const line = out.split("\n")[0]!;
      if (out.includes("\n")) {
        child.stdout.destroy();
        child.unref();
        if (line.startsWith("UPID:")) resolve(line);
        else reject(new Error(`task did not start: ${out}`));
      }
    });
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`task process exited (${code}) before printing its UPID: ${out}`)));
  });
}
