/**
 * Hashing for backups: worker threads (one per core by default) that turn chunks into their
 * sha256 digest and DataBlob, compressed with zstd as PBS does (format/blob-encoder.mjs), so that
 * a backup keeps every core busy while the main thread reads the source and writes chunk files
 * (verify-pool.ts does the same for verify). A chunk lives in one ArrayBuffer with
 * BLOB_HEADER_ROOM free bytes in front: the source is read into it and moved between threads
 * (transferred), never copied; the thread either writes the uncompressed blob header into the
 * room or hands back a new, smaller buffer holding the compressed blob.
 *
 * With `threads: 0` the hashing runs on the main thread (small backups, where starting threads
 * costs more than it saves).
 */
import { createHash } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { CofferError, errorMessage } from "../model/errors";
import { BLOB_HEADER_SIZE } from "../format/blob";
import { MAX_ZSTD_LEVEL, PBS_ZSTD_LEVEL } from "../format/blob-encoder.mjs";
import { encodeChunk } from "./chunk-encode.mjs";
import type { PreparedChunk } from "./snapshot-writer";

export const BLOB_HEADER_ROOM = BLOB_HEADER_SIZE;

/** A buffer for `size` bytes of chunk data behind the blob header's room. */
export function allocateChunk(size: number): { buffer: ArrayBuffer; data: Buffer } {
  const buffer = new ArrayBuffer(BLOB_HEADER_ROOM + size);
  return { buffer, data: Buffer.from(buffer, BLOB_HEADER_ROOM, size) };
}

/** Copies `data` into a fresh chunk buffer (for chunks assembled from stream pieces). */
export function chunkFrom(pieces: readonly Uint8Array[], size: number): ArrayBuffer {
  const { buffer, data } = allocateChunk(size);
  let off = 0;
  for (const p of pieces) {
    data.set(p, off);
    off += p.length;
  }
  return buffer;
}

/** Not a `new URL(...)` literal, which bundlers would try to bundle (see verify-pool.ts). */
function workerPath(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return path.join(/* turbopackIgnore: true */ here, "hash-worker.mjs");
}

export function defaultHashThreads(): number {
  return Math.max(1, os.availableParallelism());
}

interface Thread {
  worker: Worker;
  pending: Map<number, { resolve(c: PreparedChunk): void; reject(e: Error): void }>;
  failed?: Error;
}

export class ChunkHasher {
  private readonly threads: Thread[];
  private nextId = 1;
  private closed = false;

  private constructor(
    count: number,
    private readonly level: number,
    /** Digests (hex) of chunks that will not be written: hashed, not compressed. */
    private readonly known: ReadonlySet<string> | undefined,
    /** The store's local `.chunks` directory: chunks stored there compressed are not compressed again. */
    private readonly chunkDir: string | undefined,
  ) {
    this.threads = Array.from({ length: count }, () => this.spawn());
  }

  /**
   * Starts `threads` hashing threads (default one per core; 0 hashes on the calling thread).
   * `level` is the zstd level (default PBS's 1); 0 writes every chunk uncompressed (the format
   * before issue 13, still valid PBS).
   */
  static start(threads = defaultHashThreads(), opts: { level?: number; known?: ReadonlySet<string>; chunkDir?: string } = {}): ChunkHasher {
    if (!Number.isInteger(threads) || threads < 0 || threads > 256) {
      throw new CofferError("BAD_REQUEST", `invalid number of hashing threads ${threads}: expected 0 to 256`);
    }
    const level = opts.level ?? PBS_ZSTD_LEVEL;
    if (!Number.isInteger(level) || level < 0 || level > MAX_ZSTD_LEVEL) {
      throw new CofferError("BAD_REQUEST", `invalid zstd level ${level}: expected 0 (uncompressed) to ${MAX_ZSTD_LEVEL}`);
    }
    return new ChunkHasher(threads, level, opts.known, opts.chunkDir);
  }

  get size(): number {
    return this.threads.length;
  }

  private spawn(): Thread {
    // The known digests travel once per thread, as 32-byte digests back to back.
    const known = this.known && this.known.size > 0 ? Buffer.from([...this.known].join(""), "hex") : undefined;
    const worker = new Worker(workerPath(), { execArgv: [], workerData: { cofferHashWorker: true, known, chunkDir: this.chunkDir } });
    const t: Thread = { worker, pending: new Map() };
    const fail = (err: Error) => {
      t.failed ??= err;
      for (const p of t.pending.values()) p.reject(err);
      t.pending.clear();
    };
    worker.on("message", (reply: { id: number; buffer?: ArrayBuffer; size?: number; digest?: Uint8Array; error?: string }) => {
      const p = t.pending.get(reply.id);
      if (!p) return;
      t.pending.delete(reply.id);
      if (reply.error !== undefined || !reply.buffer || !reply.digest || reply.size === undefined) {
        p.reject(new CofferError("INTERNAL", `backup hashing thread failed: ${reply.error ?? "no result"}`));
        return;
      }
      p.resolve({ digest: Buffer.from(reply.digest), size: reply.size, blob: Buffer.from(reply.buffer) });
    });
    worker.on("error", (err) => fail(new CofferError("INTERNAL", `backup hashing thread failed: ${errorMessage(err)}`)));
    worker.on("exit", (code) => {
      if (!this.closed) fail(new CofferError("INTERNAL", `backup hashing thread exited unexpectedly (code ${code})`));
    });
    return t;
  }

  /**
   * Digest and blob of the chunk in `buffer` (made by allocateChunk / chunkFrom). The buffer is
   * handed over: the caller must not touch it afterwards.
   */
  hash(buffer: ArrayBuffer): Promise<PreparedChunk> {
    if (this.closed) return Promise.reject(new CofferError("INTERNAL", "chunk hasher is closed"));
    if (this.threads.length === 0) {
      try {
        // The same work as a hashing thread, on the calling thread.
        return Promise.resolve(encodeChunk(buffer, this.level, this.known, this.chunkDir));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    const live = this.threads.filter((t) => !t.failed);
    if (live.length === 0) return Promise.reject(this.threads[0]!.failed!);
    const t = live.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.nextId++;
    return new Promise<PreparedChunk>((resolve, reject) => {
      t.pending.set(id, { resolve, reject });
      t.worker.postMessage({ id, buffer, level: this.level }, [buffer]);
    });
  }

  /** Stops every thread; chunks still being hashed are rejected. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new CofferError("INTERNAL", "chunk hasher is closed");
    for (const t of this.threads) {
      for (const p of t.pending.values()) p.reject(err);
      t.pending.clear();
    }
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }
}

/**
 * Hashes the chunks of `source` (buffers from allocateChunk / chunkFrom) with up to `depth`
 * chunks in the hasher at once, yielding them in source order. Reading the next chunks overlaps
 * with hashing the previous ones. Six per thread: chunks compress at different speeds, and with
 * two per thread the threads waited for the reader often enough that a compressing backup used
 * 170 % of two cores; with six, 180-185 % and a fifth less time (the 635 MiB tar of
 * bench/backup.ts: 4.7-5.3 s before, 3.9-4.1 s after). On many cores, 64 chunks (256 MiB of
 * 4 MiB chunks) at most, or two per thread if that is more.
 */
export async function* hashInOrder(
  hasher: ChunkHasher,
  source: AsyncIterable<ArrayBuffer>,
  depth = Math.max(2, Math.min(hasher.size * 6 + 1, Math.max(64, hasher.size * 2 + 1))),
): AsyncGenerator<PreparedChunk> {
  const queue: { chunk: Promise<PreparedChunk>; settled: boolean }[] = [];
  try {
    for await (const buffer of source) {
      const entry = { chunk: hasher.hash(buffer), settled: false };
      // Also keeps an early failure from being "unhandled": it is awaited below.
      entry.chunk.then(
        () => (entry.settled = true),
        () => (entry.settled = true),
      );
      queue.push(entry);
      // A full queue waits for its head; a head that is done goes on at once, so a slow source
      // (a rate limit) still writes each chunk soon after reading it, not `depth` chunks later.
      while (queue.length > 0 && (queue.length >= depth || queue[0]!.settled)) yield await queue.shift()!.chunk;
    }
    while (queue.length > 0) yield await queue.shift()!.chunk;
  } finally {
    await Promise.allSettled(queue.map((e) => e.chunk));
  }
}
