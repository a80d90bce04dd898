/**
 * Where Coffer keeps its state (DESIGN.md section 2). Everything hangs off COFFER_HOME, read at
 * call time so that each test can point it at its own temporary directory.
 */
import path from "node:path";

let resolved: { raw: string; home: string } | undefined;

/**
 * COFFER_HOME as an absolute path. Read anew on every call (tests and the CLI's children set
 * it), but an absolute value is normalised once per value: every lock, config and task path
 * starts here, many times per request (path.resolve was about 1 % of the console server's
 * time under load). A relative value depends on the working directory, so it is resolved
 * every time.
 */
export function cofferHome(): string {
  const raw = process.env.COFFER_HOME || ".coffer";
  if (resolved?.raw === raw) return resolved.home;
  // turbopackIgnore: a path computed at run time, not a file for the bundler to trace.
  const home = path.resolve(/* turbopackIgnore: true */ raw);
  if (path.isAbsolute(raw)) resolved = { raw, home };
  return home;
}

export const paths = {
  home: () => cofferHome(),
  etc: () => path.join(cofferHome(), "etc"),
  datastoreConfig: () => path.join(cofferHome(), "etc", "datastore.json"),
  /** S3 endpoints (PBS s3.cfg) and their credentials (owner-only, never in datastore.json). */
  s3Config: () => path.join(cofferHome(), "etc", "s3.json"),
  s3Credentials: () => path.join(cofferHome(), "etc", "s3-credentials.json"),
  run: () => path.join(cofferHome(), "run"),
  /** Lock directory of one datastore: `run/locks/<store>`. */
  locks: (store: string) => path.join(cofferHome(), "run", "locks", store),
  /** Global locks that belong to no datastore (config files, task lists). */
  globalLocks: () => path.join(cofferHome(), "run", "locks", ".global"),
  /**
   * Not under run/locks/<store> as in PBS: there it would clash with the lock folder of a
   * namespace named `move-journal` (a valid name).
   */
  moveJournal: (store: string) => path.join(cofferHome(), "run", "move-journal", store),
  activeOperations: (store: string) => path.join(cofferHome(), "run", "active-operations", store),
  activeOperationsDir: () => path.join(cofferHome(), "run", "active-operations"),
  /** Backup writers registry (GC's oldest-writer rule, DESIGN.md section 5). */
  writers: (store: string) => path.join(cofferHome(), "run", "writers", store),
  /** Prune and verify job configs (PBS prune.cfg, verification.cfg); the GC schedule is in datastore.json. */
  pruneJobConfig: () => path.join(cofferHome(), "etc", "prune.json"),
  verifyJobConfig: () => path.join(cofferHome(), "etc", "verification.json"),
  /** Where failed jobs are reported (a webhook URL). */
  jobNotifyConfig: () => path.join(cofferHome(), "etc", "job-notify.json"),
  /** Last run of each job, `<type>-<id>.json` (PBS /var/lib/proxmox-backup/jobstates). */
  jobStates: () => path.join(cofferHome(), "lib", "jobstates"),
  tasks: () => path.join(cofferHome(), "log", "tasks"),
  /** Gate files a `debug-sleep` task waits for (tests open them to let it finish). */
  debugGates: () => path.join(cofferHome(), "run", "debug-gates"),
  datastores: () => path.join(cofferHome(), "datastores"),
  defaultDatastorePath: (name: string) => path.join(cofferHome(), "datastores", name),
};
