/**
 * Runs once when the console's server starts (Next.js instrumentation): on the first start,
 * creates the user admin@pbs (DESIGN.md 13). Its password comes from COFFER_ADMIN_PASSWORD, or
 * is generated, printed here once and saved to COFFER_HOME/etc/admin-password (owner-only).
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
}
