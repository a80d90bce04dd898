/**
 * A first-come, first-served queue per key inside this process, in front of the cross-process
 * file locks (file-lock.ts lockNamed). Without it, concurrent requests of one server that want
 * the same named lock (the datastore config, an active-operations file) find each other as
 * holders and poll with backoff until some of them give up: the server contended with itself
 * (CONFLICT "held by pid <itself>", and 500s from a guard that stayed busy). In the queue they
 * wait in order, and only the head of the queue touches the lock directory.
 */
import { processGlobal } from "./process-global";

export interface QueueTurn {
  /** Lets the next waiter go. Idempotent. */
  done(): void;
}

/** The queues of this process, one per process however many copies of this module it loads. */
const tails = processGlobal("local-queue", () => new Map<string, Promise<void>>());

/** Whether someone in this process holds or waits for a turn at `key`. */
export function isQueued(key: string): boolean {
  return tails.has(key);
}

/**
 * Waits until every earlier waiter for `key` is done, at most `timeoutMs`. On timeout it
 * rejects with what `onTimeout` makes, and the queue behind it still waits for the earlier
 * waiters (never for the one that gave up).
 */
export function waitTurn(key: string, timeoutMs: number, onTimeout: () => Error): Promise<QueueTurn> {
  const before = tails.get(key) ?? Promise.resolve();
  let finish!: () => void;
  const mine = new Promise<void>((resolve) => (finish = resolve));
  const tail = before.then(() => mine);
  tails.set(key, tail);
  void tail.then(() => {
    if (tails.get(key) === tail) tails.delete(key);
  });
  let finished = false;
  const turn: QueueTurn = {
    done: () => {
      if (finished) return;
      finished = true;
      finish();
    },
  };
  return new Promise<QueueTurn>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Our place passes on as soon as the ones before us are done.
      void before.then(turn.done);
      reject(onTimeout());
    }, timeoutMs);
    void before.then(() => {
      clearTimeout(timer);
      resolve(turn);
    });
  });
}
