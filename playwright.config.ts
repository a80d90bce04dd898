/**
 * End-to-end tests against a production build (`next build` beforehand, `npm test` does it) on a
 * port of its own, so a console already running on 3000 does not clash, and on a temporary
 * COFFER_HOME that e2e/global-setup.ts fills with the demo datastore (DESIGN.md section 11).
 */
import { mkdtempSync } from "node:fs";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { defineConfig } from "@playwright/test";
import { ADMIN_PASSWORD, adminStorageState } from "./e2e/support/auth";

const PORT = Number(process.env.E2E_PORT ?? 3217);
// The first user admin@pbs gets this password on the server's first start (instrumentation.ts).
process.env.COFFER_ADMIN_PASSWORD ??= ADMIN_PASSWORD;

// The config is evaluated by the runner and again by every worker; the workers inherit the
// runner's environment, so the first evaluation picks the directory and the others reuse it.
// tmpfs when there is one: a datastore's 65,536 chunk directories cost seconds on disk.
process.env.COFFER_E2E_HOME ??= mkdtempSync(
  path.join(existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir(), "coffer-e2e-"),
);
const cofferHome = process.env.COFFER_E2E_HOME;

export default defineConfig({
  testDir: "e2e",
  outputDir: "test-results",
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  // The list for the terminal; the HTML report (with each journey's screenshots) is written to
  // playwright-report/ and never opened, so a run does not wait on a browser.
  reporter: [["list"], ["html", { open: "never", outputFolder: "playwright-report" }]],
  globalSetup: "./e2e/global-setup.ts",
  globalTeardown: "./e2e/global-teardown.ts",
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    // Every spec starts logged in as admin@pbs (global setup logs in and saves the cookie).
    storageState: adminStorageState(cofferHome),
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      // Debian's chromium, no browser download (reference/stack-probe.md section 4).
      executablePath: "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  projects: [{ name: "chromium", use: { browserName: "chromium" } }],
  webServer: {
    // Serves the existing production build; the server reads COFFER_HOME per request, so it
    // may start before global setup has written the demo store.
    command: "node scripts/serve.mjs",
    url: `http://127.0.0.1:${PORT}/datastores`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "ignore",
    stderr: "pipe",
    // As a service manager stops it, so the server stops its page process and removes its
    // socket directory (by default the whole process group is killed outright).
    gracefulShutdown: { signal: "SIGTERM", timeout: 5_000 },
    env: {
      COFFER_HOME: cofferHome,
      HOST: "127.0.0.1",
      PORT: String(PORT),
      NEXT_TELEMETRY_DISABLED: "1",
      COFFER_ADMIN_PASSWORD: process.env.COFFER_ADMIN_PASSWORD,
    },
  },
});
