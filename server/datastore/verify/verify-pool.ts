/**
 * The hashing pool of verify: worker threads (one per core by default) that read, decode and
 * sha256 chunk files in batches, so that a verify uses every core (PBS runs a pool of decoder
 * threads for the same reason). The main thread keeps the caches, the log and the renames of
 * corrupt chunks, and stays free for the lock heartbeat: it never hashes a chunk itself.
 *
 * Workers read chunk files by the local path the chunk backend names for them
 * (`chunkFileForWorkers`): the local store's own file; an object-store backend would name its
 * cached copy.
 */
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { CofferError, errorMessage } from "../model/errors";

export interface ChunkJob {
  /** Absolute path of the chunk file. */
  path: string;
  /** Digest the chunk is stored under (64 hex characters). */
  digest: string;
  /** Expected plain size from the index; -1 when unknown. */
  size: number;
}

export type ChunkOutcome =
  | { ok: true; rawSize: number; cryptMode: "none" | "encrypt" }
  | {
      ok: false;
      /** `load`: the file could not be read or is no DataBlob; `decode`: CRC, digest or size wrong. */
      stage: "load" | "decode";
      message: string;
      rawSize: number;
      cryptMode?: "none" | "encrypt";
    };

/** Wire format between the pool and its threads. */
export interface PoolRequest {
  id: number;
  jobs: ChunkJob[];
}
export interface PoolReply {
  id: number;
  /** The worker thread that did the work (never 0, the main thread). */
  threadId: number;
  outcomes: ChunkOutcome[];
  /** Set when the thread could not judge the batch at all (no outcomes then). */
  error?: string;
}

interface Pending {
  resolve(reply: PoolReply): void;
  reject(err: Error): void;
}

interface PoolThread {
  worker: Worker;
  pending: Map<number, Pending>;
  failed?: Error;
}

/**
 * The worker script (plain JavaScript: see its header), found beside this file when a thread is
 * started. Not a `new URL(...)` literal, which bundlers would try to bundle: the console's bundle
 * includes this module through the task kinds, but verify only ever runs in a task process.
 */
function workerPath(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return path.join(/* turbopackIgnore: true */ here, "verify-worker.mjs");
}

export function defaultVerifyThreads(): number {
  return Math.max(1, os.availableParallelism());
}

export class VerifyPool {
  private readonly threads: PoolThread[];
  private nextId = 1;
  private closed = false;

  private constructor(count: number) {
    this.threads = Array.from({ length: count }, () => this.spawn());
  }

  /** Starts `threads` worker threads (default: one per core). They boot while work queues up. */
  static start(threads = defaultVerifyThreads()): VerifyPool {
    if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
      throw new CofferError("BAD_REQUEST", `invalid number of verify threads ${threads}: expected 1 to 256`);
    }
    return new VerifyPool(threads);
  }

  get size(): number {
    return this.threads.length;
  }

  private spawn(): PoolThread {
    // No inherited `--import tsx`: the worker is plain JavaScript, and loading tsx in every
    // thread would cost more than the thread's whole start-up otherwise.
    const worker = new Worker(workerPath(), { execArgv: [] });
    const t: PoolThread = { worker, pending: new Map() };
    const fail = (err: Error) => {
      t.failed ??= err;
      for (const p of t.pending.values()) p.reject(err);
      t.pending.clear();
    };
    worker.on("message", (reply: PoolReply) => {
      const p = t.pending.get(reply.id);
      if (!p) return;
      t.pending.delete(reply.id);
      if (reply.error !== undefined) p.reject(new CofferError("INTERNAL", `verify hashing thread failed: ${reply.error}`));
      else p.resolve(reply);
    });
    worker.on("error", (err) =>
      fail(new CofferError("INTERNAL", `verify hashing thread failed: ${errorMessage(err)}`, { cause: err })),
    );
    worker.on("exit", (code) => {
      if (!this.closed) fail(new CofferError("INTERNAL", `verify hashing thread exited unexpectedly (code ${code})`));
    });
    return t;
  }

  /**
   * Checks a batch of chunks on the least busy thread; outcomes come back in the order of `jobs`.
   * Rejects when the thread fails or the pool is closed meanwhile.
   */
  check(jobs: ChunkJob[]): Promise<PoolReply> {
    if (this.closed) return Promise.reject(new CofferError("INTERNAL", "verify pool is closed"));
    const live = this.threads.filter((t) => !t.failed);
    if (live.length === 0) return Promise.reject(this.threads[0]!.failed!);
    const t = live.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.nextId++;
    return new Promise<PoolReply>((resolve, reject) => {
      t.pending.set(id, { resolve, reject });
      const req: PoolRequest = { id, jobs };
      t.worker.postMessage(req);
    });
  }

  /** Stops every thread; work still queued is rejected. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new CofferError("INTERNAL", "verify pool is closed");
    for (const t of this.threads) {
      for (const p of t.pending.values()) p.reject(err);
      t.pending.clear();
    }
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }
}
