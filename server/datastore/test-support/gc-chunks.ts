/**
 * Test support for the garbage-collection tests: look at a chunk store from outside (which chunk
 * files exist, set their atimes into the past to make them "old"), and a verify-like check that
 * every chunk every index references exists and decodes to its digest.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, lstatSync, readdirSync, readFileSync, utimesSync } from "node:fs";
import path from "node:path";

import { decodeChunk, encodeBlob } from "../format/blob";
import { DynamicIndexReader } from "../format/dynamic-index";
import { FixedIndexReader } from "../format/fixed-index";
import type { Store } from "../storage/store";

/** Absolute paths of every file in `.chunks/<prefix>/` (chunks, `.bad` files, anything). */
export function chunkStoreFiles(storePath: string): string[] {
  const out: string[] = [];
  const chunkDir = path.join(storePath, ".chunks");
  for (let i = 0; i < 0x10000; i++) {
    const dir = path.join(chunkDir, i.toString(16).padStart(4, "0"));
    for (const name of readdirSync(dir)) out.push(path.join(dir, name));
  }
  return out;
}

export function chunkFile(storePath: string, hex: string): string {
  return path.join(storePath, ".chunks", hex.slice(0, 4), hex);
}

/** Sets the atime of each file to `secondsAgo` before now and keeps its mtime. */
export function setAtimeAgo(files: string[], secondsAgo: number): void {
  const atime = Date.now() / 1000 - secondsAgo;
  for (const f of files) utimesSync(f, atime, lstatSync(f).mtimeMs / 1000);
}

/** Makes every file of the chunk store look untouched for `secondsAgo` seconds. */
export function ageAllChunks(storePath: string, secondsAgo: number): void {
  setAtimeAgo(chunkStoreFiles(storePath), secondsAgo);
}

/** Inserts a chunk of `data` (random 1 KiB by default) that no index references; returns its hex digest. */
export async function insertOrphan(store: Store, data: Buffer = randomBytes(1024)): Promise<string> {
  const digest = createHash("sha256").update(data).digest();
  await store.backend.chunks.insertChunk(digest, encodeBlob(data));
  return digest.toString("hex");
}

export function indexDigests(file: string): Buffer[] {
  const raw = readFileSync(file);
  const reader = file.endsWith(".fidx") ? FixedIndexReader.fromBuffer(raw) : DynamicIndexReader.fromBuffer(raw);
  return [...reader.digests()].map((d) => Buffer.from(d));
}

/** Every `.fidx` / `.didx` in the snapshot hierarchy (`ns/*` recursively), not in dot directories. */
export function snapshotIndexFiles(storePath: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name.startsWith(".")) continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(fidx|didx)$/.test(e.name)) out.push(p);
    }
  };
  walk(storePath);
  return out.sort();
}

export interface ChunkCheck {
  indexes: number;
  chunks: number;
  /** `<index>: <hex>` for every referenced chunk file that does not exist. */
  missing: string[];
  /** `<index>: <hex>: <error>` for every chunk that does not decode to its digest. */
  corrupt: string[];
}

/** Verify-like: reads every referenced chunk and checks CRC and digest (decodeChunk). */
export function checkAllIndexes(storePath: string): ChunkCheck {
  const result: ChunkCheck = { indexes: 0, chunks: 0, missing: [], corrupt: [] };
  for (const index of snapshotIndexFiles(storePath)) {
    result.indexes++;
    for (const digest of indexDigests(index)) {
      result.chunks++;
      const hex = digest.toString("hex");
      const file = chunkFile(storePath, hex);
      if (!existsSync(file)) {
        result.missing.push(`${index}: ${hex}`);
        continue;
      }
      try {
        decodeChunk(readFileSync(file), digest);
      } catch (err) {
        result.corrupt.push(`${index}: ${hex}: ${(err as Error).message}`);
      }
    }
  }
  return result;
}
