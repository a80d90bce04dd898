/**
 * Opening a datastore (DESIGN.md section 4, PBS lookup_datastore with the typestate proposal of
 * reference 7): the maintenance mode is checked for the operation, a read or write operation is
 * counted in active operations until the handle is closed, and the handle's type decides what
 * it can do. Lookup handles do no datastore I/O; read handles list and read (plus the two narrow
 * writes verify needs); only write handles create, change, move or delete.
 */
import { admitOperation, endOperation, getActiveOperations } from "./state/active-operations";
import { openBackend, type OpenedBackend } from "./storage/open-backend";
import { type DatastoreConfig, getDatastoreConfig } from "../config/datastore-config";
import { type DeleteStats, destroyGroup, destroySnapshot } from "./content/destroy";
import { CofferError, withContext, MaintenanceError, errorMessage } from "./model/errors";
import type { BackupManifest } from "./format/manifest";
import { readGroupNotes, readOwner, setGroupNotes, writeOwner, assertGroupExists, createLockedGroup } from "./content/group";
import { groupListItem, listGroupItems, listSnapshotItems } from "./content/listing";
import { lockGroup } from "./locking/locks";
import type { EngineLog } from "./model/log";
import { checkMaintenance } from "./model/maintenance";
import type { BackupNamespace, GroupRef, SnapshotRef } from "./model/names";
import {
  createNamespace,
  deleteNamespace,
  listNamespacesRecursive,
  namespaceExists,
} from "./content/namespace";
import { parseAuthId } from "./model/owner";
import {
  readManifest,
  readSnapshotNotes,
  setProtected,
  setSnapshotNotes,
  snapshotDirInfo,
  type SnapshotDirInfo,
  updateManifest,
} from "./content/snapshot";
import type { Store } from "./storage/store";
import type {
  ActiveOperationCounts,
  GroupListItem,
  MaintenanceMode,
  NamespaceListItem,
  Operation,
  SnapshotListItem,
  VerifyState,
} from "./model/types";

/** What every handle offers: its identity, its config, and closing. No datastore I/O. */
export interface LookupHandle extends AsyncDisposable {
  readonly name: string;
  readonly operation: Operation;
  readonly config: DatastoreConfig;
  readonly maintenance: MaintenanceMode | undefined;
  /** Counts of running read and write operations over all processes (not datastore I/O). */
  activeOperations(): Promise<ActiveOperationCounts>;
  close(): Promise<void>;
}

export interface ReadHandle extends LookupHandle {
  readonly operation: "read" | "write";
  namespaceExists(ns: BackupNamespace): Promise<boolean>;
  listNamespaces(parent: BackupNamespace, maxDepth?: number): Promise<NamespaceListItem[]>;
  listGroups(ns: BackupNamespace): Promise<GroupListItem[]>;
  group(ns: BackupNamespace, group: GroupRef): Promise<GroupListItem>;
  groupOwner(ns: BackupNamespace, group: GroupRef): Promise<string>;
  groupNotes(ns: BackupNamespace, group: GroupRef): Promise<string>;
  listSnapshots(ns: BackupNamespace, group?: GroupRef): Promise<SnapshotListItem[]>;
  snapshotFiles(ns: BackupNamespace, snap: SnapshotRef): Promise<SnapshotDirInfo>;
  readManifest(ns: BackupNamespace, snap: SnapshotRef): Promise<BackupManifest>;
  snapshotNotes(ns: BackupNamespace, snap: SnapshotRef): Promise<string>;
  /** Verify's first narrow write: `unprotected.verify_state` through update_manifest. */
  setVerifyState(ns: BackupNamespace, snap: SnapshotRef, state: VerifyState): Promise<void>;
  /** Verify's second narrow write: rename a corrupt chunk to `<digest>.<n>.bad`. */
  markChunkBad(digest: Uint8Array): Promise<string>;
}

export interface WriteHandle extends ReadHandle {
  readonly operation: "write";
  createNamespace(parent: BackupNamespace, name: string): Promise<BackupNamespace>;
  deleteNamespace(
    ns: BackupNamespace,
    options?: { deleteGroups?: boolean; errorOnProtected?: boolean; log?: EngineLog },
  ): Promise<DeleteStats>;
  setGroupNotes(ns: BackupNamespace, group: GroupRef, notes: string): Promise<void>;
  setGroupOwner(ns: BackupNamespace, group: GroupRef, owner: string): Promise<void>;
  /**
   * Creates an empty group owned by `owner` (PBS create_locked_backup_group, then unlock); an
   * existing group is left as it is. Returns whether it was created.
   */
  createGroup(ns: BackupNamespace, group: GroupRef, owner: string): Promise<boolean>;
  destroyGroup(ns: BackupNamespace, group: GroupRef): Promise<DeleteStats>;
  destroySnapshot(ns: BackupNamespace, snap: SnapshotRef): Promise<void>;
  setSnapshotNotes(ns: BackupNamespace, snap: SnapshotRef, notes: string): Promise<void>;
  setSnapshotProtected(ns: BackupNamespace, snap: SnapshotRef, value: boolean): Promise<void>;
}

export type HandleFor<O extends Operation> = O extends "write"
  ? WriteHandle
  : O extends "read"
    ? ReadHandle
    : LookupHandle;

/**
 * Engine-internal access to the content backend of a handle. Not part of the engine's public
 * surface (index.ts): outside server/datastore nobody can get at an untyped store. The type
 * says which handle an operation needs; these checks say it again at run time, so that a read
 * handle cast to a write handle (or a closed one) is refused rather than trusted.
 */
const stores = new WeakMap<object, Store>();
function storeFor(handle: LookupHandle, need: "read" | "write"): Store {
  if (handle instanceof Handle && handle.isClosed) throw new CofferError("INTERNAL", `datastore handle '${handle.name}' is closed`);
  if (handle.operation === "lookup") {
    throw new CofferError("INTERNAL", `datastore '${handle.name}' was opened for lookup, not ${need}: this operation needs a ${need} handle`);
  }
  const s = stores.get(handle);
  if (!s) throw new CofferError("INTERNAL", "not an open datastore handle");
  if (need === "write" && handle.operation !== "write") {
    throw new CofferError("INTERNAL", `datastore '${handle.name}' was opened for ${handle.operation}, not write: this operation needs a write handle`);
  }
  return s;
}
/** The store of a write handle: moves, GC, prune, backups (engine-internal). */
export function storeOf(handle: WriteHandle): Store {
  return storeFor(handle, "write");
}
/** The store of a read (or write) handle for engine work that only reads (engine-internal). */
export function readStoreOf(handle: ReadHandle): Store {
  return storeFor(handle, "read");
}

/**
 * Opens datastore `name` for `op`. Takes no config lock: the config is read as it is (it is
 * only ever replaced whole). A lookup takes no lock at all. A read or write is checked against
 * the maintenance mode and counted in the same hold of the per-datastore lock
 * (admitOperation), which `maintenance set` takes as well, so a mode set after this returns
 * sees this operation counted (PBS 6.3: no TOCTOU between checking the mode and counting).
 * That lock is held for a read and a write of two small files, never across an operation, so
 * opening never waits on a running move, GC, verify or backup.
 */
export async function openDatastore<O extends Operation>(name: string, op: O): Promise<HandleFor<O>> {
  const admit = (found: DatastoreConfig) => {
    try {
      checkMaintenance(found["maintenance-mode"], op);
    } catch (err) {
      const mode = found["maintenance-mode"]!;
      throw new MaintenanceError(`datastore '${name}' is unavailable: ${errorMessage(err)}`, name, mode.type, mode.message, { cause: err });
    }
  };
  let config: DatastoreConfig;
  if (op === "lookup") {
    config = await getDatastoreConfig(name);
    admit(config);
  } else {
    // NOT_FOUND for an unknown name before any lock file is made for it.
    await getDatastoreConfig(name);
    config = await admitOperation(name, op as "read" | "write", admit);
  }
  try {
    const opened = op === "lookup" ? undefined : await openBackend(config);
    const handle = new Handle(config, op, opened);
    return handle as unknown as HandleFor<O>;
  } catch (err) {
    if (op !== "lookup") endOperation(name, op as "read" | "write");
    throw err;
  }
}

/** Opens a handle for `op`, runs `fn` with it, and closes it on every path. */
export async function withDatastore<O extends Operation, T>(name: string, op: O, fn: (ds: HandleFor<O>) => Promise<T>): Promise<T> {
  const ds = await openDatastore(name, op);
  try {
    return await fn(ds);
  } finally {
    await ds.close();
  }
}

class Handle {
  readonly name: string;
  readonly operation: Operation;
  readonly config: DatastoreConfig;
  private readonly store: Store | undefined;
  private readonly opened: OpenedBackend | undefined;
  private closed = false;

  get isClosed(): boolean {
    return this.closed;
  }

  constructor(config: DatastoreConfig, op: Operation, opened: OpenedBackend | undefined) {
    this.name = config.name;
    this.operation = op;
    this.config = config;
    this.opened = opened;
    if (opened) {
      this.store = { name: config.name, backend: opened.backend };
      stores.set(this, this.store);
    }
  }

  get maintenance(): MaintenanceMode | undefined {
    return this.config["maintenance-mode"];
  }

  activeOperations(): Promise<ActiveOperationCounts> {
    return getActiveOperations(this.name);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    stores.delete(this);
    if (this.operation !== "lookup") endOperation(this.name, this.operation as "read" | "write");
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Runtime half of the typestate: the compiler already keeps read handles from writing. */
  private io(need: "read" | "write"): Store {
    if (this.closed) throw new CofferError("INTERNAL", `datastore handle '${this.name}' is closed`);
    if (!this.store || (need === "write" && this.operation !== "write")) {
      throw new CofferError("INTERNAL", `datastore '${this.name}' was opened for ${this.operation}, not ${need}`);
    }
    return this.store;
  }

  async namespaceExists(ns: BackupNamespace) {
    return namespaceExists(this.io("read"), ns);
  }

  async listNamespaces(parent: BackupNamespace, maxDepth?: number): Promise<NamespaceListItem[]> {
    const list = await listNamespacesRecursive(this.io("read"), parent, maxDepth);
    return list.map((ns) => ({ ns: ns.toString() }));
  }

  async listGroups(ns: BackupNamespace) {
    return listGroupItems(this.io("read"), ns);
  }

  async group(ns: BackupNamespace, group: GroupRef) {
    const store = this.io("read");
    await assertGroupExists(store, ns, group);
    return groupListItem(store, ns, group);
  }

  async groupOwner(ns: BackupNamespace, group: GroupRef) {
    return readOwner(this.io("read"), ns, group);
  }

  async groupNotes(ns: BackupNamespace, group: GroupRef) {
    const store = this.io("read");
    await assertGroupExists(store, ns, group);
    return (await readGroupNotes(store, ns, group)) ?? "";
  }

  async listSnapshots(ns: BackupNamespace, group?: GroupRef) {
    return listSnapshotItems(this.io("read"), ns, group);
  }

  async snapshotFiles(ns: BackupNamespace, snap: SnapshotRef) {
    return snapshotDirInfo(this.io("read"), ns, snap);
  }

  async readManifest(ns: BackupNamespace, snap: SnapshotRef) {
    return readManifest(this.io("read"), ns, snap);
  }

  async snapshotNotes(ns: BackupNamespace, snap: SnapshotRef) {
    return readSnapshotNotes(this.io("read"), ns, snap);
  }

  async setVerifyState(ns: BackupNamespace, snap: SnapshotRef, state: VerifyState) {
    await updateManifest(this.io("read"), ns, snap, (m) => {
      m.unprotected.verify_state = { state: state.state, upid: state.upid };
    });
  }

  async markChunkBad(digest: Uint8Array) {
    this.io("read");
    return this.opened!.markBad(digest);
  }

  async createNamespace(parent: BackupNamespace, name: string) {
    return createNamespace(this.io("write"), parent, name);
  }

  async deleteNamespace(ns: BackupNamespace, options?: { deleteGroups?: boolean; errorOnProtected?: boolean; log?: EngineLog }) {
    return deleteNamespace(this.io("write"), ns, options);
  }

  async setGroupNotes(ns: BackupNamespace, group: GroupRef, notes: string) {
    return setGroupNotes(this.io("write"), ns, group, notes);
  }

  async setGroupOwner(ns: BackupNamespace, group: GroupRef, owner: string) {
    const store = this.io("write");
    parseAuthId(owner);
    await assertGroupExists(store, ns, group);
    const guard = await lockGroup(store.name, ns, group);
    try {
      await writeOwner(store, ns, group, owner);
    } finally {
      await guard.release();
    }
  }

  async createGroup(ns: BackupNamespace, group: GroupRef, owner: string) {
    const store = this.io("write");
    parseAuthId(owner);
    const { guard, created } = await createLockedGroup(store, ns, group, owner);
    await guard.release();
    return created;
  }

  async destroyGroup(ns: BackupNamespace, group: GroupRef) {
    const store = this.io("write");
    await assertGroupExists(store, ns, group);
    return destroyGroup(store, ns, group);
  }

  async destroySnapshot(ns: BackupNamespace, snap: SnapshotRef) {
    return destroySnapshot(this.io("write"), ns, snap);
  }

  async setSnapshotNotes(ns: BackupNamespace, snap: SnapshotRef, notes: string) {
    return setSnapshotNotes(this.io("write"), ns, snap, notes);
  }

  async setSnapshotProtected(ns: BackupNamespace, snap: SnapshotRef, value: boolean) {
    return setProtected(this.io("write"), ns, snap, value);
  }
}
