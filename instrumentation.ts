/**
 * Runs once when the console's server starts (Next.js instrumentation): on the first start,
 * creates the user admin@pbs (DESIGN.md 13). Its password comes from COFFER_ADMIN_PASSWORD, or
 * is generated, printed here once and saved to COFFER_HOME/etc/admin-password (owner-only).
 * Also starts the job scheduler (server/jobs/scheduler.ts).
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { ensureAdminUser } = await import("./server/auth");
  try {
    await ensureAdminUser((line) => console.log(`coffer: ${line}`));
  } catch (err) {
    // The console still serves; nobody can log in until the admin fixes the cause.
    console.error(`coffer: could not create the first user admin@pbs: ${(err as Error).message}`);
  }
  // Scheduled jobs run in the console's server process, started once per process here (never
  // per request, never in unit tests). COFFER_SCHEDULER=0 turns it off (e.g. a second console
  // on the same COFFER_HOME: the job lock keeps two schedulers from starting a job twice, but
  // one is enough).
  if (process.env.COFFER_SCHEDULER !== "0") {
    const { startScheduler } = await import("./server/jobs");
    startScheduler();
    console.log("coffer: job scheduler started");
  }
}
