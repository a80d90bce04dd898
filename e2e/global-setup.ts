/** Fills the temporary COFFER_HOME (chosen in playwright.config.ts) with the demo datastore. */
import { execFileSync } from "node:child_process";
import path from "node:path";

export default function globalSetup() {
  const home = process.env.COFFER_E2E_HOME;
  if (!home) throw new Error("COFFER_E2E_HOME is not set (playwright.config.ts sets it)");
  execFileSync(path.resolve("bin/coffer"), ["demo", "ensure"], {
    env: { ...process.env, COFFER_HOME: home },
    stdio: "inherit",
  });
}
