/**
 * Logging in for the e2e run: the admin's password (playwright.config.ts gives the server the
 * same one), the console's origin (mutations must name it: the server refuses cross-site
 * requests, and Playwright's request context sends no Origin on its own), and where global
 * setup keeps the logged-in browser state that every spec starts from.
 */
import path from "node:path";

export const E2E_PORT = Number(process.env.E2E_PORT ?? 3217);
export const ORIGIN = `http://127.0.0.1:${E2E_PORT}`;
export const ADMIN = "admin@pbs";
export const ADMIN_PASSWORD = process.env.COFFER_ADMIN_PASSWORD ?? "coffer-e2e-admin";

/** The admin's cookies, saved by global setup; lives in the run's temporary COFFER_HOME. */
export function adminStorageState(home: string): string {
  return path.join(home, "e2e-admin-state.json");
}
