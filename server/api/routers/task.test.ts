import { describe, expect, it } from "vitest";
import { LOCAL_CALLER } from "../auth-middleware";
import { createInnerContext } from "../init";
import { createCaller } from "../root";
import { caller, codeOf, useDemoHome } from "../test-support";
import { ABORT_MESSAGE, formatUpid, parseUpid, startTask } from "../../tasks";

useDemoHome();

async function waitForEnd(upid: string, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const s = await caller().task.status({ upid });
    if (s.status === "stopped") return s;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`task ${upid} did not end within ${ms} ms`);
}

/** Through createCaller a tracked event is the envelope `[id, data, symbol]`; over HTTP `{id, data}`. */
function unwrap<T>(event: unknown): { id: string; data: T } {
  if (Array.isArray(event)) return { id: event[0] as string, data: event[1] as T };
  return event as { id: string; data: T };
}

type FollowEvent = { type: "line"; n: number; t: string } | { type: "end"; status: { status: string; exitstatus?: string } };

/** A well-formed UPID of a task that never ran here (another task id of a real one). */
function unknownUpid(real: string): string {
  const u = parseUpid(real);
  return formatUpid({ ...u, taskId: u.taskId + 0x1234, workerType: "never-ran" });
}

const BAD_UPID = "UPID:not-a-upid";

describe("task.list", () => {
  it("lists a running task first with PBS's keys, and filters by type, status, user, time and store", async () => {
    const { upid } = await startTask("debug-sleep", { seconds: 30, id: "list-me" });
    try {
      const running = await caller().task.list({ running: true });
      const item = running.data.find((t) => t.upid === upid);
      expect(item).toMatchObject({ worker_type: "debug-sleep", worker_id: "list-me", user: "root@pam" });
      expect(item?.status).toBeUndefined();
      expect(item?.endtime).toBeUndefined();

      const has = async (input: Parameters<ReturnType<typeof caller>["task"]["list"]>[0]) =>
        (await caller().task.list(input)).data.some((t) => t.upid === upid);
      expect(await has({ typefilter: "sleep" })).toBe(true);
      expect(await has({ typefilter: "garbage" })).toBe(false);
      expect(await has({ statusfilter: ["ok", "error"] })).toBe(false); // it has no status yet
      expect(await has({ userfilter: "root@" })).toBe(true);
      expect(await has({ userfilter: "admin@pbs" })).toBe(false);
      const start = parseUpid(upid).starttime;
      expect(await has({ since: start, until: start })).toBe(true);
      expect(await has({ since: start + 3600 })).toBe(false);
      expect(await has({ until: start - 1 })).toBe(false);
      expect(await has({ store: "demo" })).toBe(false); // debug tasks belong to no datastore
    } finally {
      await caller().task.stop({ upid });
      await waitForEnd(upid);
    }
  });

  it("pages with start/limit and reports PBS's approximate total", async () => {
    const upids: string[] = [];
    for (let i = 0; i < 3; i++) upids.push((await startTask("debug-sleep", { seconds: 0 })).upid);
    for (const u of upids) await waitForEnd(u);
    const all = await caller().task.list({ limit: 0 });
    expect(all.total).toBe(all.data.length);
    expect(all.data.length).toBeGreaterThanOrEqual(3);

    const page1 = await caller().task.list({ start: 0, limit: 2 });
    expect(page1.data).toHaveLength(2);
    expect(page1.total).toBe(3); // full page: one "virtual" row more, to drive endless scrolling
    const page2 = await caller().task.list({ start: 2, limit: 2 });
    expect(page2.data[0]?.upid).toBe(all.data[2]?.upid);

    const ok = await caller().task.list({ statusfilter: ["ok"], limit: 0 });
    for (const u of upids) expect(ok.data.find((t) => t.upid === u)).toMatchObject({ status: "OK" });
    expect(ok.data.every((t) => t.endtime !== undefined)).toBe(true);
  });

  it("answers BAD_REQUEST for impossible filters", async () => {
    expect(await codeOf(caller().task.list({ limit: -1 }))).toBe("BAD_REQUEST");
    // @ts-expect-error: the wrong status is the point of the test
    expect(await codeOf(caller().task.list({ statusfilter: ["fine"] }))).toBe("BAD_REQUEST");
    expect(await codeOf(caller().task.list({ store: "x" }))).toBe("BAD_REQUEST");
  });
});

describe("task.status, task.log and task.stop", () => {
  it("shows a running task, stops it, and then reports the abort as its exit status", async () => {
    const { upid } = await startTask("debug-sleep", { seconds: 30 });
    const running = await caller().task.status({ upid });
    expect(running).toMatchObject({ upid, type: "debug-sleep", user: "root@pam", status: "running" });
    expect(running.exitstatus).toBeUndefined();

    await expect.poll(async () => (await caller().task.log({ upid, start: 0, limit: 0 })).total).toBeGreaterThanOrEqual(3);
    const log = await caller().task.log({ upid, start: 2, limit: 2 });
    expect(log.active).toBe(true);
    expect(log.data.map((l) => l.n)).toEqual([2, 3]);
    expect(log.data[0]?.t).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d: progress 2 of 300$/);

    expect(await caller().task.stop({ upid })).toEqual({ signalled: true });
    const stopped = await waitForEnd(upid);
    expect(stopped.exitstatus).toBe(ABORT_MESSAGE);
    expect(stopped.endtime).toBeGreaterThanOrEqual(stopped.starttime);

    const end = await caller().task.log({ upid, start: 0, limit: 0 });
    expect(end.active).toBe(false);
    expect(end.data.at(-1)?.t).toMatch(/: TASK ERROR: abort requested - aborting task$/);
    expect(end.data.some((l) => l.t.endsWith(": received abort request ..."))).toBe(true);

    // A task that ended is not signalled again.
    expect(await caller().task.stop({ upid })).toEqual({ signalled: false });
  });

  it("answers BAD_REQUEST for a malformed UPID and NOT_FOUND for one that never ran here", async () => {
    const { upid } = await startTask("debug-sleep", { seconds: 0 });
    await waitForEnd(upid);
    const unknown = unknownUpid(upid);
    for (const u of [BAD_UPID, unknown]) {
      const want = u === BAD_UPID ? "BAD_REQUEST" : "NOT_FOUND";
      expect(await codeOf(caller().task.status({ upid: u }))).toBe(want);
      expect(await codeOf(caller().task.log({ upid: u, start: 0, limit: 50 }))).toBe(want);
      expect(await codeOf(caller().task.stop({ upid: u }))).toBe(want);
      expect(await codeOf(caller().task.follow({ upid: u }))).toBe(want);
    }
    await expect(caller().task.status({ upid: BAD_UPID })).rejects.toThrow(`unable to parse UPID '${BAD_UPID}'`);
  });
});

describe("task.follow", () => {
  it("streams the lines as the task writes them, then the final status", async () => {
    const { upid } = await startTask("debug-sleep", { seconds: 1 });
    const client = new AbortController();
    const stream = await createCaller(createInnerContext({ caller: LOCAL_CALLER }), { signal: client.signal }).task.follow({ upid });
    const events: { at: number; id: string; data: FollowEvent }[] = [];
    for await (const e of stream) events.push({ at: Date.now(), ...unwrap<FollowEvent>(e) });

    const lines = events.filter((e) => e.data.type === "line");
    expect(lines.map((e) => (e.data as { n: number }).n)).toEqual(lines.map((_, i) => i + 1));
    expect(lines).toHaveLength(11); // progress 1..10 of 10, then TASK OK
    // Live, not all at once at the end: the first and the last line arrive about a second apart.
    expect(lines.at(-1)!.at - lines[0]!.at).toBeGreaterThan(500);
    const last = events.at(-1)!;
    expect(last.data).toMatchObject({ type: "end", status: { status: "stopped", exitstatus: "OK" } });
    expect(last.id).toBe("11-end");
  });

  it("continues after the last line a reconnecting client got (lastEventId)", async () => {
    const { upid } = await startTask("debug-sleep", { seconds: 0.3 });
    await waitForEnd(upid);
    const stream = await caller().task.follow({ upid, lastEventId: "2" });
    const events: FollowEvent[] = [];
    for await (const e of stream) events.push(unwrap<FollowEvent>(e).data);
    expect(events.filter((e) => e.type === "line").map((e) => (e as { n: number }).n)).toEqual([3, 4]);
    expect(events.at(-1)).toMatchObject({ type: "end" });
  });

  it("stops following, without touching the task, when the client goes away", async () => {
    const { upid } = await startTask("debug-sleep", { seconds: 30 });
    try {
      const client = new AbortController();
      const stream = await createCaller(createInnerContext({ caller: LOCAL_CALLER }), { signal: client.signal }).task.follow({ upid });
      const it = stream[Symbol.asyncIterator]();
      expect(unwrap<FollowEvent>((await it.next()).value).data).toMatchObject({ type: "line", n: 1 });
      client.abort();
      // Whatever was already read may still come; then the stream ends without an end event.
      for (let r = await it.next(); !r.done; r = await it.next()) {
        expect(unwrap<FollowEvent>(r.value).data.type).toBe("line");
      }
      expect((await caller().task.status({ upid })).status).toBe("running");
    } finally {
      await caller().task.stop({ upid });
      await waitForEnd(upid);
    }
  });
});
