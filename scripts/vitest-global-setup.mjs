// @ts-check
/**
 * vitest global setup: the tests spawn `bin/coffer` (CLI tests, task processes, the kill -9
 * move test), which runs the CLI bundle. Building it here, once, before any test starts means
 * every such test runs the bundle of the sources under test, and parallel test files never race
 * to rebuild it from bin/coffer's own staleness check.
 */
import { ensureCli } from "./cli-bundle.mjs";

export default async function setup() {
  const why = await ensureCli();
  if (why !== undefined) console.log(`built the CLI bundle before the tests (${why})`);
}
