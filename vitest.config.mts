import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { tsconfigPaths: true },
  test: {
    include: ["server/**/*.test.ts", "components/**/*.test.ts", "scripts/**/*.test.ts"],
    environment: "node",
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Engine tests spawn real child processes; two cores, so keep the pool small.
    maxWorkers: 2,
    env: { TZ: "UTC" },
  },
});
