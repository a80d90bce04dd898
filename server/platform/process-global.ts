/**
 * State that must exist once per process, however many copies of its module the process has
 * loaded. The production server has two: Next bundles the API routes and the job scheduler
 * (instrumentation.ts) separately, each with its own copy of the engine's modules. Two copies
 * of the lock bookkeeping judged each other's holders leftovers of this process and removed
 * them (process-global.test.ts). The state lives on `globalThis` under a registered symbol, so
 * every copy finds the same object; the first copy to ask makes it.
 */
export function processGlobal<T extends object>(name: string, init: () => T): T {
  const key = Symbol.for(`coffer.${name}`);
  const slots = globalThis as unknown as Record<symbol, T | undefined>;
  return (slots[key] ??= init());
}
