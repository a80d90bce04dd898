/**
 * Disk usage of a datastore over time (PBS keeps it in an RRD, `/admin/datastore/{store}/rrd`
 * and `/status/datastore-usage`; reference pbs-api-ui.md 2.1). Coffer keeps a bounded list of
 * statfs samples per store in `COFFER_HOME/log/usage/<store>.json`, written by whichever long
 * running process samples (the console server, see server/api/usage-sampler.ts).
 *
 * statfs is not datastore I/O: sampling opens no handle, counts no operation, and works in any
 * maintenance mode, as PBS's RRD collection does.
 */
import { mkdir, readFile, statfs } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";

import { listDatastoreConfigs } from "../../config/datastore-config";
import { isErrno } from "../model/errors";
import { writeFileAtomic } from "../../platform/atomic-file";
import { lockNamed } from "../../platform/file-lock";
import { cofferHome } from "../../config/paths";

/** Bytes of the file system holding a datastore, as PBS's status reports them. */
export interface DiskUsage {
  total: number;
  used: number;
  avail: number;
}

export interface UsageSample {
  /** Epoch seconds. */
  time: number;
  total: number;
  used: number;
}

/** Default sampling interval: 5 minutes (PBS's RRD step for the day view is 1 min; 5 is enough for a console). */
export const DEFAULT_USAGE_INTERVAL_S = 300;
/** 30 days at the default interval; older samples are dropped. */
export const MAX_USAGE_SAMPLES = 8640;

const usageFile = (store: string) => path.join(cofferHome(), "log", "usage", `${store}.json`);

/**
 * PBS `disk_usage`: total = blocks × frsize, avail = blocks available to unprivileged users,
 * used = total − free (so reserved blocks count as used, as `df` shows them).
 */
export async function diskUsage(dir: string): Promise<DiskUsage> {
  const s = await statfs(dir);
  const total = s.blocks * s.bsize;
  return { total, used: total - s.bfree * s.bsize, avail: s.bavail * s.bsize };
}

const sampleSchema = z.object({ time: z.number(), total: z.number(), used: z.number() });
const historySchema = z.object({ samples: z.array(sampleSchema) });

/** The samples of one store, oldest first; none when nothing was sampled yet or the file is unreadable. */
export async function readUsageHistory(store: string): Promise<UsageSample[]> {
  let text: string;
  try {
    text = await readFile(usageFile(store), "utf8");
  } catch (err) {
    if (isErrno(err, "ENOENT")) return [];
    throw err;
  }
  try {
    const parsed = historySchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data.samples : [];
  } catch {
    return []; // a history is a convenience: a damaged file starts over rather than failing status pages
  }
}

/**
 * Appends a sample unless the last one is younger than `minGapS` (two server processes sampling
 * the same home must not double the rate), keeping at most `max` samples. Takes the file's
 * lock (waits up to 10 s); the file is replaced atomically, so readers need no lock.
 */
export async function appendUsageSample(
  store: string,
  sample: UsageSample,
  opts: { minGapS?: number; max?: number } = {},
): Promise<boolean> {
  const file = usageFile(store);
  await mkdir(path.dirname(file), { recursive: true });
  const guard = await lockNamed(`${file}.lock`);
  try {
    const samples = await readUsageHistory(store);
    const last = samples[samples.length - 1];
    if (last && sample.time - last.time < (opts.minGapS ?? 0)) return false;
    samples.push(sample);
    const max = opts.max ?? MAX_USAGE_SAMPLES;
    await writeFileAtomic(file, JSON.stringify({ samples: samples.slice(-max) }));
    return true;
  } finally {
    await guard.release();
  }
}

/**
 * Samples every configured datastore once. A store whose path is gone (an unplugged removable
 * disk) is skipped; the error is returned for the caller to log, not thrown.
 */
export async function sampleAllDatastores(
  intervalS = DEFAULT_USAGE_INTERVAL_S,
  now = () => Math.floor(Date.now() / 1000),
): Promise<{ store: string; error: unknown }[]> {
  const failures: { store: string; error: unknown }[] = [];
  for (const config of await listDatastoreConfigs()) {
    try {
      const u = await diskUsage(config.path);
      // Half an interval: a second sampler (another console on the same home) adds nothing.
      await appendUsageSample(config.name, { time: now(), total: u.total, used: u.used }, { minGapS: intervalS / 2 });
    } catch (error) {
      failures.push({ store: config.name, error });
    }
  }
  return failures;
}
