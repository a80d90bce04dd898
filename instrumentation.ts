/**
 * Runs once when Next's server starts (Next.js instrumentation): creates admin@pbs on the first
 * start and starts the job scheduler (server/api/server-entry.ts). In production Next runs in the
 * page process (scripts/page-server.mjs), after the server (scripts/serve.mjs) has done both: this
 * call finds the user made and starts no scheduler (COFFER_SCHEDULER=0). It matters for `next dev`.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { startServerServices } = await import("./server/api/server-entry");
  await startServerServices((line) => console.log(`coffer: ${line}`));
}
