/**
 * Runs the functions given for one key one after another, inside this process: PBS's per-digest
 * chunk store mutex, so an insert, a GC rename and a cache fill of one chunk never interleave.
 * A key's entry is dropped when its last function settles.
 */
export class KeyedSerial {
  private readonly busy = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.busy.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const settled = run.catch(() => undefined);
    this.busy.set(key, settled);
    void settled.then(() => {
      if (this.busy.get(key) === settled) this.busy.delete(key);
    });
    return run;
  }
}
