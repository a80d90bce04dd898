/**
 * Whole-store checks for reliability tests: which snapshots exist where (with their files),
 * and which chunks the indexes reference but the chunk store lacks.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { digestHex } from "../storage/chunk-store";
import { DynamicIndexReader } from "../format/dynamic-index";
import { FixedIndexReader } from "../format/fixed-index";
import { BackupNamespace, formatBackupTime } from "../model/names";
import { openDatastore } from "../open";

export interface SnapshotRecord {
  ns: string;
  /** `type/id/time` */
  snapshot: string;
  files: string[];
}

/** Every snapshot of the store, in every namespace, with its file names. */
export async function listAllSnapshots(store: string): Promise<SnapshotRecord[]> {
  const ds = await openDatastore(store, "read");
  try {
    const out: SnapshotRecord[] = [];
    for (const { ns } of await ds.listNamespaces(BackupNamespace.root)) {
      const n = BackupNamespace.parse(ns);
      for (const s of await ds.listSnapshots(n)) {
        const snap = { type: s["backup-type"], id: s["backup-id"], time: s["backup-time"] };
        const info = await ds.snapshotFiles(n, snap);
        out.push({
          ns,
          snapshot: `${snap.type}/${snap.id}/${formatBackupTime(snap.time)}`,
          files: info.files.map((f) => f.filename).sort(),
        });
      }
    }
    return out;
  } finally {
    await ds.close();
  }
}

/** Index files anywhere below the base (dot entries skipped, as GC walks). */
export function findIndexFiles(base: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name.startsWith(".")) continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && /\.(fidx|didx)$/.test(e.name)) out.push(p);
    }
  };
  walk(base);
  return out;
}

/** Digests referenced by some index whose chunk file does not exist. */
export function missingChunks(base: string): string[] {
  const missing = new Set<string>();
  for (const file of findIndexFiles(base)) {
    const raw = readFileSync(file);
    const idx = file.endsWith(".fidx") ? FixedIndexReader.fromBuffer(raw) : DynamicIndexReader.fromBuffer(raw);
    for (let i = 0; i < idx.count; i++) {
      const hex = digestHex(idx.digest(i));
      if (!existsSync(path.join(base, ".chunks", hex.slice(0, 4), hex))) missing.add(hex);
    }
  }
  return [...missing];
}

/** Lock directories that still have holder files (`<x|s|i|t>~pid~...`). */
export function lockDirsWithHolders(locksDir: string): string[] {
  const out: string[] = [];
  if (!existsSync(locksDir)) return out;
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/^[xsit]~/.test(e.name)) out.push(p);
    }
  };
  walk(locksDir);
  return out;
}
