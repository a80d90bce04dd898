/**
 * Starts the disk-usage sampler (server/datastore/usage-history.ts) in the console's server
 * process, lazily: the first procedure that shows usage starts it, and it runs for as long as
 * the process does (the timer is unref'd, so it never keeps a process alive). The CLI never
 * starts it: a one-shot command has no "while it runs".
 *
 * `COFFER_USAGE_SAMPLE_SECONDS` changes the interval (default 300 s, at least 10 s).
 */
import { DEFAULT_USAGE_INTERVAL_S, sampleAllDatastores } from "../datastore";
import { errorMessage } from "../datastore/model/errors";

const state: { timer?: ReturnType<typeof setInterval>; first?: Promise<void>; home?: string } = {};

export function usageIntervalSeconds(): number {
  const v = Number(process.env.COFFER_USAGE_SAMPLE_SECONDS);
  return Number.isFinite(v) && v >= 10 ? v : DEFAULT_USAGE_INTERVAL_S;
}

async function sampleOnce(intervalS: number): Promise<void> {
  try {
    const failures = await sampleAllDatastores(intervalS);
    for (const f of failures) console.warn(`usage sample of datastore '${f.store}' failed: ${errorMessage(f.error)}`);
  } catch (err) {
    console.warn(`usage sampling failed: ${errorMessage(err)}`);
  }
}

/**
 * Makes sure the sampler runs; resolves once the first sample after starting was taken, so the
 * caller that started it sees at least one point. Restarts when COFFER_HOME changed (tests give
 * every file its own home).
 */
export function ensureUsageSampler(): Promise<void> {
  const home = process.env.COFFER_HOME ?? "";
  if (state.timer && state.home === home) return state.first!;
  stopUsageSampler();
  const intervalS = usageIntervalSeconds();
  state.home = home;
  state.first = sampleOnce(intervalS);
  state.timer = setInterval(() => void sampleOnce(intervalS), intervalS * 1000);
  state.timer.unref?.();
  return state.first;
}

export function stopUsageSampler(): void {
  if (state.timer) clearInterval(state.timer);
  state.timer = undefined;
  state.first = undefined;
}
