/**
 * Test support for the scale tests (router and e2e): a namespace with 10,000 groups, one of
 * which holds 5,000 snapshots, built in a few seconds.
 *
 * Only one snapshot is written by the engine (the template, the oldest snapshot of the last
 * group); every other snapshot is a directory of hard links to the template's files (copies
 * where hard links fail), as bench/move.ts does. Groups are real group directories with an
 * `owner` file; most hold no snapshot (shown as empty groups, as PBS 4.2 lists them), every
 * 100th holds one. Meant for reading: hard-linked files share their content, so a test that
 * rewrites a file in place would change every copy (the engine itself replaces files by rename).
 *
 * Layout of namespace `ns` (default `big`), ids sort numerically:
 *   vm/1 .. vm/<groups>      owner root@pam, or backup@pbs for every 10th id
 *   vm/<n> with n % 100 = 0  one snapshot at T0 + n
 *   vm/<groups>              `snapshots` snapshots at T0, T0 + 3600, ... (owner root@pam)
 */
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { getDatastoreConfig } from "../../config/datastore-config";
import { BackupNamespace, formatBackupTime, type GroupRef } from "../model/names";
import { createNamespace } from "../content/namespace";
import { storeOf } from "../open";
import { LOCAL_ROOT } from "../model/owner";
import { withWrite, writeSnapshot } from "./temp-store";

export const BIG_T0 = 1_700_000_000;
export const BIG_SNAPSHOT_STEP = 3600;

export interface BigNamespaceOptions {
  ns?: string;
  groups?: number;
  snapshots?: number;
}

export interface BigNamespace {
  ns: string;
  groups: number;
  snapshots: number;
  /** The group with `snapshots` snapshots (the last one by name). */
  history: GroupRef;
  /** Build time in milliseconds. */
  ms: number;
}

/** A snapshot directory of hard links (or copies) to the template's files. */
function cloneSnapshot(template: string, files: readonly string[], to: string): void {
  mkdirSync(to);
  for (const f of files) {
    try {
      linkSync(path.join(template, f), path.join(to, f));
    } catch {
      copyFileSync(path.join(template, f), path.join(to, f));
    }
  }
}

/**
 * Builds the namespace in datastore `store` (which must exist in COFFER_HOME). Refuses an
 * existing namespace, so a half-built one is not taken for a whole one.
 */
export async function buildBigNamespace(store: string, opts: BigNamespaceOptions = {}): Promise<BigNamespace> {
  const started = performance.now();
  const ns = opts.ns ?? "big";
  const groups = opts.groups ?? 10_000;
  const snapshots = opts.snapshots ?? 5_000;
  const history: GroupRef = { type: "vm", id: String(groups) };
  await withWrite(store, async (ds) => {
    await createNamespace(storeOf(ds), BackupNamespace.root, ns);
    await writeSnapshot(ds, ns, `vm/${history.id}`, BIG_T0, { owner: LOCAL_ROOT });
  });
  const nsDir = path.join((await getDatastoreConfig(store)).path, "ns", ns);
  const vmDir = path.join(nsDir, "vm");
  const template = path.join(vmDir, history.id, formatBackupTime(BIG_T0));
  if (!existsSync(template)) throw new Error(`template snapshot not found at ${template}`);
  const files = readdirSync(template);

  for (let n = 1; n < groups; n++) {
    const dir = path.join(vmDir, String(n));
    mkdirSync(dir);
    writeFileSync(path.join(dir, "owner"), n % 10 === 0 ? "backup@pbs\n" : `${LOCAL_ROOT}\n`);
    if (n % 100 === 0) cloneSnapshot(template, files, path.join(dir, formatBackupTime(BIG_T0 + n)));
  }
  for (let s = 1; s < snapshots; s++) {
    cloneSnapshot(template, files, path.join(vmDir, history.id, formatBackupTime(BIG_T0 + s * BIG_SNAPSHOT_STEP)));
  }
  // Group directories last changed long ago, as in a store that has been in use (caches that
  // distrust a just-changed directory, like the filter's in listing-page.ts, then apply).
  const past = new Date(BIG_T0 * 1000);
  for (let n = 1; n <= groups; n++) utimesSync(path.join(vmDir, String(n)), past, past);
  return { ns, groups, snapshots, history, ms: Math.round(performance.now() - started) };
}
