/**
 * Runs once when Next's server starts (Next.js instrumentation): creates admin@pbs on the first
 * start and starts the job scheduler (server/api/server-entry.ts). The production server
 * (scripts/serve.mjs) has done both before Next starts, so this call finds them done; it
 * matters for `next dev`.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { startServerServices } = await import("./server/api/server-entry");
  await startServerServices((line) => console.log(`coffer: ${line}`));
}
