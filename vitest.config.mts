import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { tsconfigPaths: true },
  test: {
    include: ["server/**/*.test.ts", "components/**/*.test.ts", "scripts/**/*.test.ts"],
    environment: "node",
    // Tests that spawn bin/coffer run the CLI bundle: build it from the current sources first.
    globalSetup: ["scripts/vitest-global-setup.mjs"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Engine tests spawn real child processes; two cores, so keep the pool small.
    maxWorkers: 2,
    // Tasks run at the server's priority here: below it (the default, task-priority.ts) they
    // would wait for the other test worker's CPU on two cores; task-priority.test.ts sets it.
    env: { TZ: "UTC", COFFER_TASK_NICE: "0" },
  },
});
