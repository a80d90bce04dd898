/**
 * Fills the temporary COFFER_HOME (chosen in playwright.config.ts) with the demo datastore,
 * makes sure admin@pbs exists (the server does it too on start; whoever comes first wins, the
 * other finds the user), logs in over HTTP and saves the session cookie as the storage state
 * that every spec starts from.
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { request, type FullConfig } from "@playwright/test";
import { ADMIN, ADMIN_PASSWORD, ORIGIN, adminStorageState } from "./support/auth";

export default async function globalSetup(config: FullConfig) {
  const home = process.env.COFFER_E2E_HOME;
  if (!home) throw new Error("COFFER_E2E_HOME is not set (playwright.config.ts sets it)");
  execFileSync(path.resolve("bin/coffer"), ["demo", "ensure"], {
    env: { ...process.env, COFFER_HOME: home },
    stdio: "inherit",
  });
  const previous = process.env.COFFER_HOME;
  process.env.COFFER_HOME = home;
  try {
    const { ensureAdminUser } = await import("../server/auth");
    await ensureAdminUser(() => {}, { COFFER_ADMIN_PASSWORD: ADMIN_PASSWORD });
  } finally {
    if (previous === undefined) delete process.env.COFFER_HOME;
    else process.env.COFFER_HOME = previous;
  }
  const baseURL = config.projects[0]?.use.baseURL ?? ORIGIN;
  const api = await request.newContext({ baseURL });
  const res = await api.post("/api/trpc/auth.login", {
    data: { username: ADMIN, password: ADMIN_PASSWORD },
    headers: { origin: ORIGIN },
  });
  if (!res.ok()) throw new Error(`e2e login as ${ADMIN} failed: ${res.status()} ${await res.text()}`);
  await api.storageState({ path: adminStorageState(home) });
  await api.dispose();
}
