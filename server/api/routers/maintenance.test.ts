import { afterEach, describe, expect, it } from "vitest";
import { LOCAL_CALLER } from "../auth-middleware";
import { createInnerContext } from "../init";
import { createCaller } from "../root";
import { caller, codeOf, useDemoHome } from "../test-support";
import { startTask, taskStatus } from "../../tasks";
import { paths } from "../../config/paths";
import { lockNamed } from "../../platform/file-lock";

useDemoHome();

afterEach(async () => {
  await caller().maintenance.set({ store: "demo", mode: "none" });
});

/** Collects the subscription's events until `until` says stop. */
async function collect<T>(iterable: AsyncIterable<T>, until: (events: T[]) => boolean): Promise<T[]> {
  const events: T[] = [];
  for await (const e of iterable) {
    events.push(e);
    if (until(events)) break;
  }
  return events;
}

async function waitForEnd(upid: string, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const s = await taskStatus(upid);
    if (s.status === "stopped") return s;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`task ${upid} did not end within ${ms} ms`);
}

describe("maintenance.get", () => {
  it("shows an idle store without maintenance, and looking does not count as an operation", async () => {
    const state = await caller().maintenance.get({ store: "demo" });
    expect(state).toEqual({ mode: null, message: null, "active-operations": { read: 0, write: 0 } });
    // A second look still sees zero: the first one used a lookup handle, counted nothing.
    expect((await caller().maintenance.get({ store: "demo" }))["active-operations"]).toEqual({ read: 0, write: 0 });
  });

  it("answers NOT_FOUND for an unknown store and BAD_REQUEST for an impossible name", async () => {
    expect(await codeOf(caller().maintenance.get({ store: "no-such-store" }))).toBe("NOT_FOUND");
    expect(await codeOf(caller().maintenance.get({ store: "x" }))).toBe("BAD_REQUEST");
  });
});

describe("maintenance.set", () => {
  it("sets read-only with a message, switches to offline, and ends maintenance with none", async () => {
    const ro = await caller().maintenance.set({ store: "demo", mode: "read-only", message: "disk swap, back at 14:00" });
    expect(ro).toMatchObject({ mode: "read-only", message: "disk swap, back at 14:00" });
    expect(await caller().maintenance.get({ store: "demo" })).toMatchObject({ mode: "read-only", message: "disk swap, back at 14:00" });
    // Reads still work in read-only maintenance (PBS 6.1).
    await expect(caller().namespace.list({ store: "demo" })).resolves.toBeInstanceOf(Array);

    const off = await caller().maintenance.set({ store: "demo", mode: "offline" });
    expect(off).toMatchObject({ mode: "offline", message: null });
    await expect(caller().namespace.list({ store: "demo" })).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
      message: "datastore 'demo' is unavailable: offline maintenance mode: ",
    });
    // Watching still works while offline: maintenance.get uses a lookup handle.
    expect((await caller().maintenance.get({ store: "demo" })).mode).toBe("offline");

    const none = await caller().maintenance.set({ store: "demo", mode: "none", message: "ignored" });
    expect(none).toMatchObject({ mode: null, message: null });
    await expect(caller().namespace.list({ store: "demo" })).resolves.toBeInstanceOf(Array);
  });

  it("treats an empty message as no message", async () => {
    expect(await caller().maintenance.set({ store: "demo", mode: "read-only", message: "" })).toMatchObject({ message: null });
  });

  it("refuses a message over 64 characters or with control characters, changing nothing", async () => {
    const long = caller().maintenance.set({ store: "demo", mode: "read-only", message: "x".repeat(65) });
    await expect(long).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/too long: 65 characters/) });
    const ctrl = caller().maintenance.set({ store: "demo", mode: "read-only", message: "line\nbreak" });
    await expect(ctrl).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/control character/) });
    expect((await caller().maintenance.get({ store: "demo" })).mode).toBeNull();
    // Exactly 64 characters (counted as characters, not UTF-16 units) is fine.
    const ok = await caller().maintenance.set({ store: "demo", mode: "read-only", message: "ü".repeat(63) + "😀" });
    expect(ok.message).toBe("ü".repeat(63) + "😀");
  });

  it("refuses an unknown mode (BAD_REQUEST) and an unknown store (NOT_FOUND)", async () => {
    // @ts-expect-error: the wrong mode is the point of the test
    expect(await codeOf(caller().maintenance.set({ store: "demo", mode: "delete" }))).toBe("BAD_REQUEST");
    expect(await codeOf(caller().maintenance.set({ store: "no-such-store", mode: "read-only" }))).toBe("NOT_FOUND");
  });

  it("refuses a new write operation in read-only maintenance with the message, while the running one goes on", async () => {
    const { upid } = await startTask("debug-write-hold", { store: "demo", seconds: 1.5 });
    try {
      await expect.poll(async () => (await caller().maintenance.get({ store: "demo" }))["active-operations"].write).toBe(1);
      const state = await caller().maintenance.set({ store: "demo", mode: "read-only", message: "disk swap" });
      expect(state["active-operations"]).toEqual({ read: 0, write: 1 });
      const refused = await startTask("debug-write-hold", { store: "demo", seconds: 0 });
      const end = await waitForEnd(refused.upid);
      expect(end.exitstatus).toBe("datastore 'demo' is unavailable: read-only maintenance mode: disk swap");
    } finally {
      const first = await waitForEnd(upid);
      expect(first.exitstatus).toBe("OK");
    }
  });
});

describe("maintenance.activeOperations", () => {
  it("streams the counts at once and on every change, and stops when the client goes away", async () => {
    const client = new AbortController();
    const call = createCaller(createInnerContext({ caller: LOCAL_CALLER }), { signal: client.signal });
    const stream = await call.maintenance.activeOperations({ store: "demo" });
    const iterator = stream[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toEqual({ read: 0, write: 0 });

    const { upid } = await startTask("debug-write-hold", { store: "demo", seconds: 1 });
    expect((await iterator.next()).value).toEqual({ read: 0, write: 1 });
    expect((await iterator.next()).value).toEqual({ read: 0, write: 0 });
    expect((await waitForEnd(upid)).exitstatus).toBe("OK");

    // Nothing changes any more: without the abort the stream would wait for a change forever.
    const next = iterator.next();
    client.abort();
    expect((await next).done).toBe(true);
    // Watching never counted: still zero after the watcher is gone.
    expect((await caller().maintenance.get({ store: "demo" }))["active-operations"]).toEqual({ read: 0, write: 0 });
  });

  it("counts a move task that runs while read-only is set, until it ends", async () => {
    const [group] = (await caller().group.list({ store: "demo", ns: "" })).items;
    if (!group) throw new Error("the demo store has no group in its root namespace");
    await caller().namespace.create({ store: "demo", parent: "", name: "ro-move" });
    // Holding the move journal's lock keeps the move from renaming anything, so it cannot end
    // until the test lets it (it waits up to 10 s for this lock).
    const journal = await lockNamed(`${paths.moveJournal("demo")}.lck`);
    let released = false;
    const client = new AbortController();
    try {
      const call = createCaller(createInnerContext({ caller: LOCAL_CALLER }), { signal: client.signal });
      const iterator = (await call.maintenance.activeOperations({ store: "demo" }))[Symbol.asyncIterator]();
      expect((await iterator.next()).value).toEqual({ read: 0, write: 0 });

      // The task alone: move.startGroup's own write handle would show in the count as well.
      const { upid } = await startTask("move-group", {
        store: "demo",
        ns: "",
        type: group["backup-type"],
        id: group["backup-id"],
        "target-ns": "ro-move",
      });
      expect((await iterator.next()).value).toEqual({ read: 0, write: 1 });
      const state = await caller().maintenance.set({ store: "demo", mode: "read-only" });
      expect(state["active-operations"]).toEqual({ read: 0, write: 1 });

      await journal.release();
      released = true;
      expect((await iterator.next()).value).toEqual({ read: 0, write: 0 });
      expect((await waitForEnd(upid)).exitstatus).toBe("OK");
      const moved = await caller().group.list({ store: "demo", ns: "ro-move" });
      expect(moved.items.map((g) => `${g["backup-type"]}/${g["backup-id"]}`)).toEqual([`${group["backup-type"]}/${group["backup-id"]}`]);
    } finally {
      client.abort();
      if (!released) await journal.release();
    }
  });

  it("answers NOT_FOUND for an unknown store and BAD_REQUEST for an impossible name", async () => {
    expect(await codeOf(caller().maintenance.activeOperations({ store: "no-such-store" }))).toBe("NOT_FOUND");
    expect(await codeOf(caller().maintenance.activeOperations({ store: "x" }))).toBe("BAD_REQUEST");
  });

  it("keeps watching while the store is offline", async () => {
    await caller().maintenance.set({ store: "demo", mode: "offline" });
    const client = new AbortController();
    const call = createCaller(createInnerContext({ caller: LOCAL_CALLER }), { signal: client.signal });
    const events = await collect(await call.maintenance.activeOperations({ store: "demo" }), (e) => e.length >= 1);
    client.abort();
    expect(events[0]).toEqual({ read: 0, write: 0 });
  });
});
