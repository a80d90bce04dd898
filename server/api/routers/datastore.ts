/**
 * Datastores as configured (PBS GET /config/datastore, /admin/datastore), and what the console
 * shows about one: its status (PBS GET /admin/datastore/{store}/status: disk usage, counts, the
 * last GC and verify), its disk usage over time (PBS rrd) and the history of its GCs.
 */
import { z } from "zod";
import { compressionSetting, getDatastoreConfig, listDatastoreConfigs, type DatastoreConfig } from "../../config/datastore-config";
import type { CompressionSetting } from "../../datastore/model/compression";
import { parseBackend } from "../../config/s3-config";
import { datastoreAclPath, datastoreVisibility, privilegedPathsBelow } from "../../auth";
import type { NamespaceVisibility } from "../../datastore";
import { namespaceVisibility, ownedBy } from "../namespace-scope";
import { CofferError } from "../../datastore/model/errors";
import { readGcHistory, type GcHistoryEntry } from "../../datastore";
import { BackupNamespace, MAX_NAMESPACE_DEPTH } from "../../datastore/model/names";
import { countGroups, createDatastore, openDatastore, removeDatastore, updateDatastoreOptions, withDatastore, type ReadHandle } from "../../datastore";
import { datastoreCreateSchema, datastoreOptionsSchema } from "../../datastore/model/datastore-create";
import { diskUsage, readUsageHistory, type DiskUsage } from "../../datastore";
import { parseUpid, startTask } from "../../tasks";
import type { AuthState } from "../auth-middleware";
import { procedure, router, type Access } from "../init";
import { gcJobStatus, lastVerify, type GcJobStatus, type LastTask } from "../job-status";
import { storeNameSchema } from "../schemas";
import { removeJobsOfStore } from "../../jobs";
import { ensureUsageSampler } from "../usage-sampler";
import { recentResult } from "../../platform/recent-result";

/**
 * How old the summary's counts may be for a caller who sees the whole store. Counting reads one
 * directory per group; with 50 console clients asking at once, one count per second serves them
 * all (bench/soak.ts), and the console refreshes the summary anyway. While a new count runs (over
 * a second under a move), callers get the last one if it is less than 5 s old.
 */
const SHARED_COUNTS = { maxAgeMs: 1_000, staleMs: 5_000 };

/** What the console shows of a datastore; the config may carry more (tuning, schedules). */
function summary(config: DatastoreConfig) {
  return {
    name: config.name,
    path: config.path,
    comment: config.comment,
    "maintenance-mode": config["maintenance-mode"],
    /** `filesystem`, or the bucket of an S3 datastore (its `path` is then the local cache). */
    backend: backendOf(config),
    /** How backups store new chunks (the datastore's setting; reading takes both kinds). */
    compression: compressionSetting(config),
  };
}

function backendOf(config: DatastoreConfig): { type: "filesystem" } | { type: "s3"; bucket: string } {
  const s3 = parseBackend(config.backend);
  return s3 ? { type: "s3", bucket: s3.bucket } : { type: "filesystem" };
}

export type DatastoreSummary = ReturnType<typeof summary>;

export interface TypeCounts {
  groups: number;
  snapshots: number;
}

export interface DatastoreStatus extends Partial<DiskUsage> {
  store: string;
  /** PBS counts: only groups with at least one snapshot, over every namespace. Absent when offline. */
  counts?: { vm: TypeCounts; ct: TypeCounts; host: TypeCounts };
  "gc-status"?: GcJobStatus;
  lastVerify?: LastTask;
  maintenance?: DatastoreConfig["maintenance-mode"];
  /** How backups store new chunks; left out for callers limited to namespaces below the store. */
  compression?: CompressionSetting;
  /** Why counts or usage are missing (offline maintenance, an unmounted path). */
  unavailable?: string;
  /**
   * Set when the caller has no role on the store itself, only on namespaces below it: the
   * counts cover just these namespaces (and what lies below them), and sizes, GC and verify
   * status are left out, as PBS leaves them out without Datastore.Audit or Backup on the store.
   */
  limitedTo?: string[];
}

/** PBS: sizes need Datastore.Audit or Datastore.Backup on the store. */
const STATUS_ACCESS: Access = { path: "store", privileges: ["Datastore.Audit", "Datastore.Backup"] };
/**
 * The status's content needs Audit for everything; Backup alone sees only what it owns (PBS
 * datastore status: counts filtered by owner, no GC status, without Datastore.Audit).
 */
const STATUS_CONTENT_ACCESS: Access = {
  path: "store",
  privileges: ["Datastore.Audit"],
  ownerPrivileges: ["Datastore.Backup"],
  belowPrivileges: ["Datastore.Audit", "Datastore.Backup"],
};

/** Counts groups with snapshots by type, over the groups `scope` lets the caller see. */
async function countContent(ds: ReadHandle, scope: (ns: string) => NamespaceVisibility, owns: (owner: string) => boolean): Promise<NonNullable<DatastoreStatus["counts"]>> {
  const counts = { vm: { groups: 0, snapshots: 0 }, ct: { groups: 0, snapshots: 0 }, host: { groups: 0, snapshots: 0 } };
  const namespaces = await ds.listNamespaces(BackupNamespace.root, MAX_NAMESPACE_DEPTH);
  for (const n of namespaces) {
    const sees = scope(n.ns);
    if (sees === "none") continue;
    // A namespace a move removed since it was listed holds nothing any more (its groups are
    // counted in the target, if that was listed after them): not a failure of the summary.
    const groups = await countGroups(ds, BackupNamespace.parse(n.ns), sees === "own").catch((err: unknown) => {
      if (err instanceof CofferError && err.code === "NOT_FOUND") return [];
      throw err;
    });
    for (const g of groups) {
      if (g.snapshots === 0) continue;
      if (sees === "own" && (g.owner === undefined || !owns(g.owner))) continue;
      const c = counts[g.type];
      c.groups++;
      c.snapshots += g.snapshots;
    }
  }
  return counts;
}

/** The highest namespaces below the store where the caller holds a role (for `limitedTo`). */
function topScopedNamespaces(authId: string, store: string): string[] {
  const storePath = datastoreAclPath(store);
  const paths = privilegedPathsBelow(authId, storePath, STATUS_CONTENT_ACCESS.belowPrivileges!).map((p) => p.slice(storePath.length + 1));
  return paths.filter((ns) => !paths.some((other) => ns.startsWith(`${other}/`)));
}

async function status(store: string, auth: AuthState): Promise<DatastoreStatus> {
  const owns = ownedBy(auth.authId!);
  // Below the store, per namespace; on the store, as the store-level grant says (PBS).
  const scope = auth.below ? namespaceVisibility(auth.authId!, store) : (): NamespaceVisibility => (auth.ownerOnly ? "own" : "all");
  const config = await getDatastoreConfig(store);
  const out: DatastoreStatus = { store };
  if (config["maintenance-mode"]) out.maintenance = config["maintenance-mode"];
  if (auth.below) out.limitedTo = topScopedNamespaces(auth.authId!, store);
  else {
    out.compression = compressionSetting(config);
    try {
      Object.assign(out, await diskUsage(config.path));
    } catch (err) {
      out.unavailable = `unable to read the disk usage of ${JSON.stringify(config.path)}: ${(err as Error).message}`;
    }
  }
  let ds: ReadHandle | undefined;
  try {
    ds = await openDatastore(store, "read");
  } catch (err) {
    // Offline maintenance: sizes still show (statfs is no datastore I/O), content does not (PBS masks the summary).
    if (err instanceof CofferError && err.code === "PRECONDITION_FAILED") out.unavailable = err.message;
    else throw err;
  }
  if (ds) {
    try {
      // Whole-store callers see the same counts: share them. Scoped or owner-limited ones count
      // their own. The shared count opens the store itself: it may outlive the request that
      // started it.
      out.counts =
        !auth.below && !auth.ownerOnly
          ? await recentResult(`datastore-counts:${store}`, SHARED_COUNTS, () => withDatastore(store, "read", (own) => countContent(own, scope, owns)))
          : await countContent(ds, scope, owns);
      if (!auth.ownerOnly && !auth.below) out["gc-status"] = await gcJobStatus(store, ds);
    } finally {
      await ds.close();
    }
  }
  const verify = await lastVerify(store);
  // A verify covers others' groups too: owner-limited callers see only their own runs.
  if (verify && !auth.below && (!auth.ownerOnly || owns(parseUpid(verify.upid).authId))) out.lastVerify = verify;
  return out;
}

const storeInput = z.strictObject({ store: storeNameSchema });

/** PBS DELETE /config/datastore/{name}: Datastore.Allocate on the store (inherited from /datastore). */
const removeInput = z.strictObject({ store: storeNameSchema, destroyData: z.boolean().default(false) });

/**
 * Removing a store under a running backup, move or GC would pull the directory from under it
 * (or, with destroyData, delete what it is writing): refuse while any operation counts on it.
 */
async function assertIdle(store: string): Promise<void> {
  const ds = await openDatastore(store, "lookup");
  try {
    const ops = await ds.activeOperations();
    if (ops.read + ops.write > 0) {
      throw new CofferError(
        "CONFLICT",
        `datastore '${store}' is in use (${ops.read} reading, ${ops.write} writing operation(s)): wait for them to end or stop their tasks, then remove it`,
      );
    }
  } finally {
    await ds.close();
  }
}

export const datastoreRouter = router({
  /**
   * The stores the caller can see (PBS 2.1): Audit or Backup on the store, or a privilege on
   * a namespace below it, in which case only the name is shown.
   */
  list: procedure({ path: "authenticated", privileges: [] }).query(async ({ ctx }) => {
    const authId = ctx.auth.authId!;
    return (await listDatastoreConfigs()).flatMap((c) => {
      const { visible, full } = datastoreVisibility(authId, c.name);
      if (!visible) return [];
      return [full ? summary(c) : { ...summary(c), path: "", comment: undefined }];
    });
  }),

  /**
   * PBS shows path and comment to callers with Audit or Backup on the store; a caller whose
   * roles start below it gets what the datastore list shows it (the name and the maintenance
   * mode, which decides what it may do).
   */
  get: procedure({ ...STATUS_ACCESS, belowPrivileges: STATUS_CONTENT_ACCESS.belowPrivileges }, storeInput).query(async ({ ctx, input }) => {
    const config = summary(await getDatastoreConfig(input.store));
    return ctx.auth.below ? { ...config, path: "", comment: undefined } : config;
  }),

  /** Sizes, counts by backup type, the last GC and verify, and the maintenance mode. */
  status: procedure(STATUS_CONTENT_ACCESS, storeInput).query(({ ctx, input }) => status(input.store, ctx.auth)),

  /** Disk usage of every store at once, for the datastore list; a store that cannot be read has `error`. */
  usage: procedure({ path: "authenticated", privileges: [] }).query(async ({ ctx }) => {
    void ensureUsageSampler();
    const authId = ctx.auth.authId!;
    // Sizes only for stores where the caller has Audit or Backup (PBS datastore-usage).
    const stores = (await listDatastoreConfigs()).filter((c) => datastoreVisibility(authId, c.name).full);
    return Promise.all(
      stores.map(async (c) => {
        try {
          return { store: c.name, ...(await diskUsage(c.path)) };
        } catch (err) {
          return { store: c.name, error: (err as Error).message };
        }
      }),
    );
  }),

  /** Samples `{time, total, used}`, oldest first, over the last 30 days at most. */
  usageHistory: procedure(STATUS_ACCESS, storeInput).query(async ({ input }) => {
    await getDatastoreConfig(input.store); // NOT_FOUND for an unknown store
    await ensureUsageSampler();
    return readUsageHistory(input.store);
  }),

  /**
   * Adds a datastore, as `coffer datastore create` does (PBS POST /config/datastore: Datastore.Allocate on
   * /datastore): a new chunk store at `path` (default COFFER_HOME/datastores/<name>), or with
   * `reuse` an existing PBS datastore attached without changing it.
   */
  create: procedure({ path: "datastores", privileges: ["Datastore.Allocate"] }, datastoreCreateSchema).mutation(async ({ input }) => {
    const cfg = await createDatastore(input.name, {
      ...(input.path !== undefined ? { path: input.path } : {}),
      reuse: input.reuse,
      ...(input.comment ? { comment: input.comment } : {}),
      ...(input.s3 ? { s3: input.s3 } : {}),
      ...(input.compression !== undefined ? { compression: input.compression } : {}),
      ...(input.compressionLevel !== undefined ? { compressionLevel: input.compressionLevel } : {}),
    });
    return summary(cfg);
  }),

  /**
   * Changes a datastore's comment or compression, as `coffer datastore update` does (PBS PUT
   * /config/datastore/{name}: Datastore.Modify on the store). Applies to backups that start later.
   */
  update: procedure({ path: "store", privileges: ["Datastore.Modify"] }, datastoreOptionsSchema).mutation(async ({ input }) => {
    const { store, ...change } = input;
    return summary(await updateDatastoreOptions(store, change));
  }),

  /**
   * Rebuilds an S3 datastore's cache from its bucket as an `s3-refresh` task (PBS PUT
   * /admin/datastore/{store}/s3-refresh: Datastore.Modify), as `coffer datastore refresh` does.
   */
  refresh: procedure({ path: "store", privileges: ["Datastore.Modify"] }, storeInput).mutation(async ({ ctx, input }) => {
    const config = await getDatastoreConfig(input.store);
    if (!parseBackend(config.backend)) {
      throw new CofferError("BAD_REQUEST", `datastore '${input.store}' is not on S3: only an S3 datastore has a cache to refresh`);
    }
    return startTask("s3-refresh", { store: input.store }, { authId: ctx.auth.authId ?? "root@pam" });
  }),

  /** Forgets a datastore, as `coffer datastore remove` does; its data stays unless `destroyData`. */
  remove: procedure({ path: "store", privileges: ["Datastore.Allocate"] }, removeInput).mutation(async ({ input }) => {
    await getDatastoreConfig(input.store); // NOT_FOUND before anything else
    await assertIdle(input.store);
    const cfg = await removeDatastore(input.store, { destroyData: input.destroyData });
    await removeJobsOfStore(input.store); // PBS: a removed store's jobs go with it
    return { ...summary(cfg), destroyed: input.destroyData };
  }),

  /** One entry per finished GC run, oldest first (Coffer's addition to PBS's last-run status). */
  gcHistory: procedure({ path: "store", privileges: ["Datastore.Audit"] }, storeInput).query(
    async ({ input }): Promise<GcHistoryEntry[]> => {
      await getDatastoreConfig(input.store);
      return readGcHistory(input.store);
    },
  ),
});
