/** Removes the temporary COFFER_HOME of the run. */
import { rmSync } from "node:fs";

export default function globalTeardown() {
  const home = process.env.COFFER_E2E_HOME;
  if (home && /coffer-e2e-/.test(home)) rmSync(home, { recursive: true, force: true });
}
