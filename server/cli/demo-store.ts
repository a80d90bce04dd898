/**
 * The demo datastore `npm start` shows on first start: written by the engine's own snapshot
 * writer, so everything in it is real PBS-format data over real chunks. It has three levels of
 * namespaces, groups of all three types (several owners, notes, protected snapshots), one empty
 * group and one unfinished snapshot. Contents are deterministic (seeded), times are recent.
 */
import { createDatastore, removeDatastore } from "../datastore";
import { listDatastoreConfigs } from "../config/datastore-config";
import { BackupNamespace, type BackupType, type GroupRef } from "../datastore/model/names";
import { openDatastore, type WriteHandle } from "../datastore";
import { LOCAL_ROOT } from "../datastore/model/owner";
import { encodeEntries, SnapshotWriter } from "../datastore";

export const DEMO_STORE = "demo";

interface DemoGroup {
  ns: string;
  type: BackupType;
  id: string;
  snapshots: number;
  owner?: string;
  notes?: string;
  /** Indexes (0 = oldest) of snapshots to protect. */
  protect?: number[];
  /** Snapshot notes by index. */
  snapshotNotes?: Record<number, string>;
}

const BACKUP_USER = "backup@pbs";
const NIGHTLY_TOKEN = "backup@pbs!nightly";

/** The layout: root, prod, prod/eu, prod/eu/db, prod/us, dev, dev/ci, archive. */
const NAMESPACES = ["prod", "prod/eu", "prod/eu/db", "prod/us", "dev", "dev/ci", "archive"];

const GROUPS: DemoGroup[] = [
  { ns: "", type: "host", id: "backup-server", snapshots: 3, notes: "The backup server's own config" },
  { ns: "", type: "vm", id: "100", snapshots: 4, notes: "Domain controller\nWindows Server 2022", protect: [0] },
  { ns: "", type: "ct", id: "101", snapshots: 3 },
  { ns: "prod", type: "vm", id: "200", snapshots: 5, notes: "Web frontend (nginx)", snapshotNotes: { 4: "after kernel update" } },
  { ns: "prod", type: "vm", id: "201", snapshots: 4, notes: "Web frontend (nginx), second node" },
  { ns: "prod", type: "ct", id: "210", snapshots: 3, owner: BACKUP_USER },
  { ns: "prod", type: "host", id: "gateway", snapshots: 2 },
  { ns: "prod/eu", type: "vm", id: "300", snapshots: 4, notes: "ERP application server", protect: [1] },
  { ns: "prod/eu", type: "vm", id: "301", snapshots: 3 },
  { ns: "prod/eu", type: "ct", id: "310", snapshots: 4, owner: NIGHTLY_TOKEN },
  { ns: "prod/eu", type: "ct", id: "311", snapshots: 2, owner: NIGHTLY_TOKEN },
  { ns: "prod/eu/db", type: "vm", id: "400", snapshots: 5, notes: "PostgreSQL primary", protect: [2], snapshotNotes: { 2: "before major upgrade 15 -> 16" } },
  { ns: "prod/eu/db", type: "vm", id: "401", snapshots: 4, notes: "PostgreSQL replica" },
  { ns: "prod/eu/db", type: "ct", id: "410", snapshots: 3, notes: "Redis cache" },
  { ns: "prod/us", type: "vm", id: "500", snapshots: 3 },
  { ns: "prod/us", type: "host", id: "nas01", snapshots: 3, owner: BACKUP_USER, notes: "File server /etc and /home" },
  { ns: "dev", type: "vm", id: "600", snapshots: 3, owner: BACKUP_USER },
  { ns: "dev", type: "ct", id: "610", snapshots: 2 },
  { ns: "dev/ci", type: "ct", id: "700", snapshots: 4, owner: NIGHTLY_TOKEN, notes: "CI runner" },
  { ns: "dev/ci", type: "ct", id: "701", snapshots: 3, owner: NIGHTLY_TOKEN },
  { ns: "archive", type: "vm", id: "900", snapshots: 2, notes: "Decommissioned mail server, kept for legal hold", protect: [0, 1] },
  { ns: "archive", type: "host", id: "old-fileserver", snapshots: 2 },
];

/** A group with an owner and no snapshots, and one whose newest snapshot never finished. */
const EMPTY_GROUP = { ns: "dev", type: "vm" as const, id: "650" };
const UNFINISHED_IN = { ns: "prod", type: "vm" as const, id: "200" };

const MiB = 1024 * 1024;
const IMAGE_CHUNK = 1 * MiB;

/** xorshift32: fast deterministic bytes, so the demo dedups the same way every time. */
function pseudoRandom(seed: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  const words = new Uint32Array(out.buffer, out.byteOffset, Math.floor(length / 4));
  let x = seed >>> 0 || 0x9e3779b9;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  return out;
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * A disk image: a shared "operating system" part (deduplicated across all VMs), a part of its
 * own that changes a little with each backup, and zeroes (one chunk, stored once).
 */
function* diskImage(groupSeed: number, generation: number): Generator<Buffer> {
  yield pseudoRandom(42, 4 * MiB); // shared OS blocks
  yield pseudoRandom(groupSeed, 2 * MiB); // the machine's own, stable data
  yield pseudoRandom(groupSeed + generation * 7919, 1 * MiB); // changed since the last backup
  for (let i = 0; i < 9; i++) yield Buffer.alloc(MiB); // unused space
}

/**
 * A container's or host's file system as a real directory stream (so that it can be browsed
 * and restored): shared "distribution" files (deduplicated across groups), files of its own,
 * and a log that changes with every backup.
 */
function fileStream(g: GroupRef, groupSeed: number, generation: number, time: number): Generator<Buffer> {
  const mtime = BigInt(time - 3600) * 1_000_000_000n;
  const old = 1_700_000_000n * 1_000_000_000n;
  const dir = (path: string, t = old) => ({ entry: { path, type: "dir" as const, mode: 0o755, uid: 0, gid: 0, mtime: t } });
  const file = (path: string, data: Buffer, t = old, mode = 0o644) => ({ entry: { path, type: "file" as const, mode, uid: 0, gid: 0, mtime: t }, data });
  const text = (s: string) => Buffer.from(s);
  const host = g.type === "ct" ? `ct${g.id}` : g.id;
  return encodeEntries([
    dir(".", mtime),
    dir("etc", mtime),
    file("etc/hostname", text(`${host}\n`)),
    file("etc/hosts", text(`127.0.0.1 localhost\n127.0.1.1 ${host}.example.com ${host}\n`)),
    { entry: { path: "etc/localtime", type: "symlink", mode: 0o777, uid: 0, gid: 0, mtime: old, target: "/usr/share/zoneinfo/UTC" } },
    dir("etc/ssh"),
    file("etc/ssh/sshd_config", text("PermitRootLogin prohibit-password\nPasswordAuthentication no\n")),
    dir("home"),
    dir("home/admin"),
    file("home/admin/notes.txt", text(`Backups of ${host} run nightly at 02:00 UTC.\nRestore test: generation ${generation}.\n`), mtime, 0o600),
    dir("srv"),
    file("srv/data.bin", pseudoRandom(groupSeed, 2 * MiB)),
    dir("usr"),
    dir("usr/lib"),
    file("usr/lib/libdemo.so.1", pseudoRandom(7, 3 * MiB), old, 0o755),
    dir("var", mtime),
    dir("var/log", mtime),
    file("var/log/syslog", pseudoRandom(groupSeed + generation * 104729, 512 * 1024), mtime, 0o640),
  ]);
}

async function* asAsync(gen: Iterable<Buffer>): AsyncGenerator<Buffer> {
  yield* gen;
}

function configBlob(g: GroupRef, generation: number): Buffer {
  const lines =
    g.type === "vm"
      ? [`boot: order=scsi0`, `cores: ${2 + (hash(g.id) % 6)}`, `memory: ${4096 * (1 + (hash(g.id) % 4))}`, `name: vm${g.id}`, `scsi0: local-lvm:vm-${g.id}-disk-0,size=12M`, `# generation ${generation}`]
      : g.type === "ct"
        ? [`arch: amd64`, `hostname: ct${g.id}`, `memory: 2048`, `rootfs: local-lvm:subvol-${g.id}-disk-0,size=8G`, `# generation ${generation}`]
        : [`hostname: ${g.id}`, `# generation ${generation}`];
  return Buffer.from(`${lines.join("\n")}\n`);
}

async function writeSnapshot(ds: WriteHandle, ns: BackupNamespace, g: DemoGroup, gen: number, time: number, finish: boolean) {
  const group = { type: g.type, id: g.id };
  const seed = hash(`${g.ns}/${g.type}/${g.id}`);
  const w = await SnapshotWriter.begin(ds, ns, group, { authId: g.owner ?? LOCAL_ROOT, backupTime: time });
  try {
    if (g.type === "vm") {
      await w.writeBlob("qemu-server.conf", configBlob(group, gen));
      await w.writeFixed("drive-scsi0.img", asAsync(diskImage(seed, gen)), { chunkSize: IMAGE_CHUNK });
    } else if (g.type === "ct") {
      await w.writeBlob("pct.conf", configBlob(group, gen));
      await w.writeDynamic("root.pxar", asAsync(fileStream(group, seed, gen, time)));
    } else {
      await w.writeBlob("host.conf", configBlob(group, gen));
      await w.writeDynamic("root.pxar", asAsync(fileStream(group, seed, gen, time)));
    }
    if (!finish) {
      await w.detach();
      return;
    }
    await w.finish({ notes: g.snapshotNotes?.[gen], protect: g.protect?.includes(gen) });
  } catch (err) {
    await w.abort(err);
    throw err;
  }
}

/** Creates the demo datastore and its content unless a datastore `demo` exists already. */
export async function ensureDemoDatastore(log: (line: string) => void = () => {}): Promise<boolean> {
  if ((await listDatastoreConfigs()).some((d) => d.name === DEMO_STORE)) return false;
  log(`creating demo datastore '${DEMO_STORE}'...`);
  await createDatastore(DEMO_STORE, { comment: "Demo datastore with sample backups" });
  try {
    await fillDemo();
  } catch (err) {
    // A half-made demo would never be completed by the next start: remove it and try again then.
    await removeDatastore(DEMO_STORE, { destroyData: true }).catch(() => {});
    throw err;
  }
  log(`demo datastore '${DEMO_STORE}' ready`);
  return true;
}

async function fillDemo(): Promise<void> {
  const ds = await openDatastore(DEMO_STORE, "write");
  try {
    for (const name of NAMESPACES) {
      const ns = BackupNamespace.parse(name);
      await ds.createNamespace(ns.parent(), ns.name);
    }
    // Daily backups at 02:00 UTC, ending yesterday, staggered a few minutes per group.
    const today = new Date();
    const lastNight = Math.floor(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - 1, 2) / 1000);
    for (const [i, g] of GROUPS.entries()) {
      const ns = BackupNamespace.parse(g.ns);
      for (let gen = 0; gen < g.snapshots; gen++) {
        const time = lastNight - (g.snapshots - 1 - gen) * 86400 + i * 157;
        await writeSnapshot(ds, ns, g, gen, time, true);
      }
      if (g.notes) await ds.setGroupNotes(ns, { type: g.type, id: g.id }, g.notes);
    }
    const unfinished = GROUPS.find((g) => g.ns === UNFINISHED_IN.ns && g.type === UNFINISHED_IN.type && g.id === UNFINISHED_IN.id)!;
    await writeSnapshot(ds, BackupNamespace.parse(UNFINISHED_IN.ns), unfinished, unfinished.snapshots, lastNight + 3 * 3600, false);
    await ds.createGroup(BackupNamespace.parse(EMPTY_GROUP.ns), EMPTY_GROUP, BACKUP_USER);
    await ds.setGroupNotes(BackupNamespace.parse(EMPTY_GROUP.ns), EMPTY_GROUP, "Provisioned, first backup pending");
  } finally {
    await ds.close();
  }
}
