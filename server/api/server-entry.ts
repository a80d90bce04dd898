/**
 * What the console's server process (scripts/serve.mjs) loads from the server bundle
 * (dist/cli/api-server.cjs, scripts/cli-bundle.mjs): the API without Next (node-adapter.ts), and
 * what runs once per process. The API and the scheduler live in this one copy of the engine;
 * Next's own copy resolves sessions for the pages (state that must be one per process is
 * shared anyway: platform/process-global.ts).
 */
import { ensureAdminUser } from "../auth";
import { startScheduler } from "../jobs";
import { lookOncePerTurn } from "../platform/json-file-cache";
import { processGlobal } from "../platform/process-global";

export { isApiPath, serveApiRequest } from "./node-adapter";

const services = processGlobal("server-services", (): { started?: Promise<void> } => ({}));

/**
 * On the first start, creates admin@pbs (DESIGN.md 13; its password from COFFER_ADMIN_PASSWORD,
 * or generated, printed once and saved to COFFER_HOME/etc/admin-password), then starts the job
 * scheduler unless COFFER_SCHEDULER=0 (e.g. a second console on the same COFFER_HOME: the job
 * lock keeps two schedulers from starting a job twice, but one is enough). Once per process:
 * serve.mjs calls it before it starts the page process, whose instrumentation.ts then finds the
 * user made and runs no scheduler (COFFER_SCHEDULER=0 there); under `next dev` instrumentation.ts
 * alone calls it. Also makes the process read each config file at most once per turn of its
 * event loop (platform/json-file-cache.ts).
 */
export function startServerServices(log: (line: string) => void): Promise<void> {
  lookOncePerTurn();
  services.started ??= (async () => {
    try {
      await ensureAdminUser(log);
    } catch (err) {
      // The console still serves; nobody can log in until the admin fixes the cause.
      log(`could not create the first user admin@pbs: ${(err as Error).message}`);
    }
    if (process.env.COFFER_SCHEDULER !== "0") {
      startScheduler();
      log("job scheduler started");
    }
  })();
  return services.started;
}
