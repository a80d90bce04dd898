/**
 * Password hashing off Node's shared thread pool. scrypt through `crypto.scrypt` runs on libuv's
 * four threads, the same ones every `fs` call of the console waits for: 40 logins with made-up
 * names once kept an admin's listing waiting 28 s. Here a small pool of worker threads of its
 * own (one by default) runs `scryptSync`, and at most `maxPending` hashes may wait or run at
 * once; beyond that a hash is refused at once with HashPoolBusyError (the login answers 429 with
 * Retry-After) instead of queueing work that would only delay everybody.
 *
 * The workers are started from source text (`eval`), so no separate file has to survive
 * bundling, and are unref'd, so an idle pool never keeps a process (the CLI, a test) alive.
 */
import { Worker } from "node:worker_threads";
import { CofferError, RetryLaterError } from "../datastore/model/errors";

/** A hash was refused because the pool is full; try again after `retryAfterMs`. */
export class HashPoolBusyError extends RetryLaterError {
  constructor(retryAfterMs: number) {
    super(`too many logins at once - try again in ${Math.max(1, Math.ceil(retryAfterMs / 1000))} s`, retryAfterMs);
    this.name = "HashPoolBusyError";
  }
}

export interface ScryptJob {
  password: string;
  salt: Buffer;
  keylen: number;
  N: number;
  r: number;
  p: number;
  maxmem: number;
}

export interface HashPoolOptions {
  /** Worker threads hashing in parallel. */
  threads?: number;
  /** Hashes that may be running or waiting at once; more are refused. */
  maxPending?: number;
}

const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { scryptSync } = require("node:crypto");
parentPort.on("message", (m) => {
  try {
    const key = scryptSync(m.password, Buffer.from(m.salt), m.keylen, { N: m.N, r: m.r, p: m.p, maxmem: m.maxmem });
    parentPort.postMessage({ id: m.id, key });
  } catch (err) {
    parentPort.postMessage({ id: m.id, error: String(err && err.message || err) });
  }
});
`;

interface Waiting {
  id: number;
  job: ScryptJob;
  resolve(key: Buffer): void;
  reject(err: Error): void;
}

interface Slot {
  worker: Worker;
  busy?: Waiting;
}

export class HashPool {
  readonly threads: number;
  readonly maxPending: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Waiting[] = [];
  private running = 0;
  private nextId = 1;
  /** Recent hash durations (ms), for the Retry-After estimate. */
  private averageMs = 500;

  constructor(opts: HashPoolOptions = {}) {
    this.threads = Math.max(1, opts.threads ?? 1);
    this.maxPending = Math.max(this.threads, opts.maxPending ?? 8);
  }

  /** Hashes running or waiting now. */
  get pending(): number {
    return this.running + this.queue.length;
  }

  /** Derives the scrypt key; rejects with HashPoolBusyError at once when the pool is full. */
  scrypt(job: ScryptJob): Promise<Buffer> {
    if (this.pending >= this.maxPending) {
      return Promise.reject(new HashPoolBusyError(this.estimateWaitMs()));
    }
    return new Promise<Buffer>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, job, resolve, reject });
      this.pump();
    });
  }

  /** How long until a slot is likely free: the queue ahead divided among the threads. */
  private estimateWaitMs(): number {
    return Math.ceil((this.pending / this.threads) * this.averageMs);
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const slot = this.idleSlot();
      if (!slot) return;
      const next = this.queue.shift()!;
      slot.busy = next;
      this.running++;
      const started = Date.now();
      const done = () => {
        this.running--;
        slot.busy = undefined;
        this.averageMs = this.averageMs * 0.8 + (Date.now() - started) * 0.2;
        slot.worker.unref();
        this.pump();
      };
      slot.worker.ref();
      const onMessage = (m: { id: number; key?: Uint8Array; error?: string }) => {
        if (m.id !== next.id) return;
        slot.worker.off("message", onMessage);
        done();
        if (m.key) next.resolve(Buffer.from(m.key));
        else next.reject(new CofferError("INTERNAL", `password hashing failed: ${m.error ?? "unknown error"}`));
      };
      slot.worker.on("message", onMessage);
      const { password, salt, keylen, N, r, p, maxmem } = next.job;
      slot.worker.postMessage({ id: next.id, password, salt, keylen, N, r, p, maxmem });
    }
  }

  private idleSlot(): Slot | undefined {
    const idle = this.slots.find((s) => !s.busy);
    if (idle) return idle;
    if (this.slots.length >= this.threads) return undefined;
    const slot: Slot = { worker: new Worker(WORKER_SOURCE, { eval: true }) };
    slot.worker.unref();
    slot.worker.on("error", (err) => this.fail(slot, err));
    slot.worker.on("exit", (code) => this.fail(slot, new Error(`hash worker exited with code ${code}`)));
    this.slots.push(slot);
    return slot;
  }

  /** A worker died: fail its job, drop it, and let a new one take the queue. */
  private fail(slot: Slot, err: Error): void {
    const i = this.slots.indexOf(slot);
    if (i === -1) return;
    this.slots.splice(i, 1);
    const job = slot.busy;
    if (job) {
      this.running--;
      job.reject(new CofferError("INTERNAL", `password hashing failed: ${err.message}`, { cause: err }));
    }
    this.pump();
  }

  /** Stops the threads (tests); queued hashes are refused. */
  async close(): Promise<void> {
    for (const w of this.queue.splice(0)) w.reject(new CofferError("INTERNAL", "password hashing pool closed"));
    const slots = this.slots.splice(0);
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}

function envInt(name: string, fallback: number): number {
  const n = Number.parseInt(process.env[name] ?? "", 10);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/**
 * The process's pool. COFFER_LOGIN_HASH_THREADS (default 1) and COFFER_LOGIN_HASH_PENDING
 * (default 8) size it; one thread hashes a login in well under a second, which is plenty for
 * people and caps what a flood can take to one core.
 */
export const hashPool = new HashPool({
  threads: envInt("COFFER_LOGIN_HASH_THREADS", 1),
  maxPending: envInt("COFFER_LOGIN_HASH_PENDING", 8),
});
