import { writeFileSync, mkdirSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { paths } from "../config/paths";
import { debugGatePath } from "../tasks/kinds/debug-sleep";
import { readTaskLog, startTask } from "../tasks";
import { createJob, listJobs, removeJob, setGcSchedule, type JobConfig } from "./job-config";
import { startJob, type StartJobTask } from "./job-run";
import { removeJobState } from "./job-state";
import { jobStatus } from "./job-status";
import { setWebhook } from "./notify";
import { runDueJobs, type TickOutcome } from "./scheduler";
import { coffer, useJobsHome, waitForTask } from "./test-support/jobs-home";

const env = useJobsHome();
const HOUR = 3600;
const DAY = 86400;
/** A Thursday, 2030-01-03 00:00 UTC: later than the real clock, so task start times never interfere. */
const T0 = Date.UTC(2030, 0, 3) / 1000;

const lines: string[] = [];
const log = (l: string) => lines.push(l);
const tick = (now: number, start?: StartJobTask) => runDueJobs({ now, log, start });
const started = (out: TickOutcome[]) => out.filter((o) => o.action === "started");

/** Runs a `debug-sleep` task instead of the job's own: a real task that ends when its gate opens. */
function sleeper(gate: string, fail = false): StartJobTask {
  return (_kind, _args, authId) => startTask("debug-sleep", { seconds: 0, gate, fail }, { authId });
}
const openGate = (gate: string) => {
  mkdirSync(paths.debugGates(), { recursive: true });
  writeFileSync(debugGatePath(gate), "");
};

afterEach(async () => {
  for (const j of await listJobs()) {
    if (j.type === "gc") await setGcSchedule(j.store, undefined);
    else await removeJob(j.type, j.id);
    await removeJobState(j.type, j.id);
  }
  coffer(env.home(), "maintenance", "clear", "demo");
  lines.length = 0;
});

describe("runDueJobs (the scheduler, with an injected clock)", () => {
  it("starts a job when its event comes, not before, and not again until the next event", async () => {
    // prod/us: prod itself holds the demo's unfinished snapshot, which fails a verify.
    await createJob("verify", { id: "nightly", store: "demo", schedule: "daily UTC", ns: "prod/us" }, { now: T0 });
    expect(await tick(T0 + 60)).toEqual([]); // the schedule counts from the job's creation
    expect(await tick(T0 + DAY - 1)).toEqual([]);
    const out = await tick(T0 + DAY);
    expect(started(out)).toHaveLength(1);
    const upid = (out[0] as { upid: string }).upid;
    expect(upid).toContain(":verificationjob:demo\\x3anightly:root@pam:");
    expect((await waitForTask(upid)).exitstatus).toBe("OK");

    expect(started(await tick(T0 + DAY + 60))).toEqual([]);
    const status = await jobStatus((await listJobs("demo"))[0]!, T0 + DAY + 60);
    expect(status).toMatchObject({ "last-run-upid": upid, "last-run-state": "OK", "next-run": T0 + 2 * DAY });
    expect(started(await tick(T0 + 2 * DAY))).toHaveLength(1);
    await waitForTask((await jobStatus((await listJobs("demo"))[0]!))["last-run-upid"]!);
  }, 120_000);

  it("runs a job that missed several events while the server was down once, then follows the schedule", async () => {
    await createJob("verify", { id: "hourly", store: "demo", schedule: "hourly UTC", ns: "prod", "max-depth": 0 }, { now: T0 });
    await tick(T0);
    const late = T0 + 5 * HOUR + 17 * 60; // five events missed
    const first = started(await tick(late));
    expect(first).toHaveLength(1);
    expect(started(await tick(late + 60))).toEqual([]);
    const job = (await listJobs("demo"))[0]!;
    expect((await jobStatus(job, late + 60))["next-run"]).toBe(T0 + 6 * HOUR);
    await waitForTask((first[0] as { upid: string }).upid);
  }, 120_000);

  it("never starts a second run of a job while one runs, by schedule or by hand", async () => {
    await createJob("verify", { id: "slow", store: "demo", schedule: "*:0/15 UTC" }, { now: T0 });
    await tick(T0);
    const gate = `slow-${process.pid}`;
    const first = started(await tick(T0 + 15 * 60, sleeper(gate)));
    expect(first).toHaveLength(1);
    const upid = (first[0] as { upid: string }).upid;

    const again = await tick(T0 + 30 * 60, sleeper(gate));
    expect(again).toEqual([expect.objectContaining({ action: "running", upid })]);
    const job = (await listJobs("demo"))[0]!;
    await expect(startJob(job, { start: sleeper(gate) })).rejects.toMatchObject({
      code: "CONFLICT",
      message: `verify job 'slow' is already running as task ${upid}`,
    });
    expect((await jobStatus(job)).running).toBe(true);

    openGate(gate);
    expect((await waitForTask(upid)).exitstatus).toBe("OK");
    // The run started at T0+15min; the 30 min event passed while it ran: due now, once.
    expect(started(await tick(T0 + 31 * 60, sleeper(gate)))).toHaveLength(1);
    const last = (await jobStatus(job))["last-run-upid"]!;
    expect(last).not.toBe(upid);
    await waitForTask(last);
  }, 120_000);

  it("skips a job while maintenance forbids its operation, says why once, and runs it when allowed", async () => {
    await setGcSchedule("demo", "daily UTC", { now: T0 });
    await createJob("verify", { id: "check", store: "demo", schedule: "daily UTC", ns: "prod", "max-depth": 0 }, { now: T0 });
    await tick(T0);
    coffer(env.home(), "maintenance", "set", "demo", "read-only", "--message", "disk swap");

    const out = await tick(T0 + DAY);
    const gc = out.find((o) => o.job.type === "gc");
    expect(gc).toMatchObject({ action: "skipped", reason: "skipping gc job 'demo': datastore 'demo' is unavailable: read-only maintenance mode: disk swap" });
    // Verify reads: read-only maintenance allows it (PBS).
    const verify = out.find((o) => o.job.type === "verify");
    expect(verify?.action).toBe("started");
    await waitForTask((verify as { upid: string }).upid);

    expect((await tick(T0 + DAY + 60)).find((o) => o.job.type === "gc")?.action).toBe("skipped");
    expect(lines.filter((l) => l.startsWith("skipping gc job"))).toHaveLength(1);
    const gcJob = (await listJobs("demo")).find((j) => j.type === "gc")!;
    expect((await jobStatus(gcJob)).skipped).toContain("read-only maintenance mode: disk swap");

    coffer(env.home(), "maintenance", "clear", "demo");
    const after = (await tick(T0 + DAY + 120)).find((o) => o.job.type === "gc");
    expect(after?.action).toBe("started");
    expect((await waitForTask((after as { upid: string }).upid)).exitstatus).toBe("OK");
    expect((await jobStatus(gcJob)).skipped).toBeUndefined();
  }, 120_000);
});

describe("startJob", () => {
  it("lets exactly one of two simultaneous starts of a job through", async () => {
    const job = await createJob("verify", { id: "racy", store: "demo" }, { now: T0 });
    const gate = `racy-${process.pid}`;
    const results = await Promise.allSettled([startJob(job, { start: sleeper(gate) }), startJob(job, { start: sleeper(gate) })]);
    const ok = results.filter((r) => r.status === "fulfilled");
    const refused = results.filter((r) => r.status === "rejected");
    expect(ok).toHaveLength(1);
    expect(refused).toEqual([expect.objectContaining({ reason: expect.objectContaining({ code: "CONFLICT" }) })]);
    openGate(gate);
    await waitForTask((ok[0] as PromiseFulfilledResult<{ upid: string }>).value.upid);
  }, 60_000);
});

describe("a prune job run end to end through the task runner", () => {
  it("prunes every group of its namespace and logs it in the task log", async () => {
    const job: JobConfig = await createJob("prune", { id: "keep2", store: "demo", ns: "prod", schedule: "daily", "keep-last": 2 }, { now: T0 });
    const before = JSON.parse(coffer(env.home(), "snapshot", "list", "demo", "--ns", "prod", "--output-format", "json")) as unknown[];
    const { upid } = await startJob(job);
    expect(upid).toContain(":prunejob:demo\\x3akeep2:root@pam:");
    expect((await waitForTask(upid)).exitstatus).toBe("OK");
    const after = JSON.parse(coffer(env.home(), "snapshot", "list", "demo", "--ns", "prod", "--output-format", "json")) as {
      "backup-type": string;
      "backup-id": string;
    }[];
    // prod: vm/200 (5 and an unfinished one, which prune keeps), vm/201 (4), ct/210 (3),
    // host/gateway (2) -> 2 each, plus the unfinished one.
    expect(before).toHaveLength(15);
    expect(after).toHaveLength(9);
    const log = (await readTaskLog(upid, { limit: 0 })).lines.map((l) => l.t).join("\n");
    expect(log).toContain("prune job 'keep2'");
    expect(log).toContain("retention options: --ns prod --keep-last 2");
    expect((await jobStatus(job))["last-run-state"]).toBe("OK");
  }, 120_000);
});

describe("failure notices", () => {
  it("posts a failed run to the webhook once, as JSON, and marks the job failed", async () => {
    const received: { body: string; type?: string }[] = [];
    const server = createServer((req: IncomingMessage, res) => {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => {
        received.push({ body, type: req.headers["content-type"] });
        res.end("ok");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      await setWebhook(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`);
      await createJob("verify", { id: "breaks", store: "demo", schedule: "daily UTC" }, { now: T0 });
      await tick(T0);
      const gate = `breaks-${process.pid}`;
      openGate(gate);
      const out = started(await tick(T0 + DAY, sleeper(gate, true)));
      const upid = (out[0] as { upid: string }).upid;
      const end = await waitForTask(upid);
      expect(end.exitstatus).toContain("debug-sleep failed");

      await tick(T0 + DAY + 60);
      await tick(T0 + DAY + 120);
      expect(received).toHaveLength(1);
      expect(received[0]!.type).toBe("application/json");
      expect(JSON.parse(received[0]!.body)).toEqual({
        event: "job-failed",
        "job-type": "verify",
        "job-id": "breaks",
        store: "demo",
        upid,
        status: end.exitstatus,
        endtime: end.endtime,
      });
      const job = (await listJobs("demo"))[0]!;
      expect(await jobStatus(job)).toMatchObject({ "last-run-failed": true, "last-run-state": end.exitstatus });
    } finally {
      await setWebhook(undefined);
      await new Promise((r) => server.close(r));
    }
  }, 120_000);
});
