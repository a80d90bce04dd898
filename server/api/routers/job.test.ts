import { beforeAll, describe, expect, it } from "vitest";
import { createUser, grantRole } from "../../auth";
import { caller, callerAs, codeOf, useDemoHome } from "../test-support";
import { waitForTask } from "./content-test-support";

useDemoHome();

beforeAll(async () => {
  await createUser("audit@pbs", { password: "audit-secret" });
  await grantRole({ path: "/datastore/demo", authId: "audit@pbs", role: "DatastoreAudit" });
  await createUser("reader@pbs", { password: "reader-secret" });
  await grantRole({ path: "/datastore/demo", authId: "reader@pbs", role: "DatastoreReader" });
});

describe("job router", () => {
  it("creates, lists, changes, runs and removes a verify job", async () => {
    const created = await caller().job.createVerify({ store: "demo", id: "weekly-check", ns: "prod/us", schedule: "sat 02:30", comment: "weekly" });
    expect(created).toMatchObject({ type: "verify", id: "weekly-check", schedule: "sat 02:30" });
    const [listed] = await caller().job.list({ store: "demo" });
    expect(listed).toMatchObject({ type: "verify", id: "weekly-check", ns: "prod/us" });
    expect(listed!["next-run"]).toBeGreaterThan(Date.now() / 1000);
    expect(new Date(listed!["next-run"]! * 1000).getDay()).toBe(6); // a Saturday, local time

    const changed = await caller().job.updateVerify({ store: "demo", id: "weekly-check", set: { "outdated-after": 30 }, delete: ["comment"] });
    expect(changed).toMatchObject({ "outdated-after": 30 });
    expect(changed).not.toHaveProperty("comment");

    const { upid } = await caller().job.runVerify({ store: "demo", id: "weekly-check" });
    expect(upid).toContain(":verificationjob:demo\\x3aweekly\\x2dcheck:root@pam:");
    expect((await waitForTask(upid, 60_000)).exitstatus).toBe("OK");
    expect((await caller().job.list({ store: "demo" }))[0]).toMatchObject({ "last-run-upid": upid, "last-run-state": "OK" });

    await caller().job.removeVerify({ store: "demo", id: "weekly-check" });
    expect(await caller().job.list({ store: "demo" })).toEqual([]);
  }, 90_000);

  it("refuses an invalid schedule with the position and the grammar, and writes nothing", async () => {
    await expect(caller().job.createPrune({ store: "demo", id: "bad", schedule: "mon 12:61", "keep-last": 1 })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("at position 8 ('61'): expected a minute below 60, not 61"),
    });
    expect(await caller().job.list({ store: "demo" })).toEqual([]);
  });

  it("refuses a second job with the same id, and a job on another store's name", async () => {
    await caller().job.createPrune({ store: "demo", id: "tidy", schedule: "daily", "keep-daily": 7 });
    try {
      expect(await codeOf(caller().job.createPrune({ store: "demo", id: "tidy", schedule: "daily", "keep-daily": 3 }))).toBe("CONFLICT");
      expect(await codeOf(caller().job.createPrune({ store: "nowhere", id: "tidy2", schedule: "daily" }))).toBe("NOT_FOUND");
    } finally {
      await caller().job.removePrune({ store: "demo", id: "tidy" });
    }
  });

  it("sets and clears the GC schedule", async () => {
    await caller().job.setGcSchedule({ store: "demo", schedule: "*:0/30" });
    expect(await caller().job.list({ store: "demo" })).toEqual([expect.objectContaining({ type: "gc", id: "demo", schedule: "*:0/30" })]);
    await caller().job.setGcSchedule({ store: "demo" });
    expect(await caller().job.list({ store: "demo" })).toEqual([]);
  });

  it("needs Audit to see jobs and the operation's privilege to configure or run them", async () => {
    expect(await callerAs("audit@pbs").job.list({ store: "demo" })).toEqual([]);
    expect(await codeOf(callerAs("audit@pbs").job.createVerify({ store: "demo", id: "ver1", schedule: "daily" }))).toBe("FORBIDDEN");
    expect(await codeOf(callerAs("audit@pbs").job.setGcSchedule({ store: "demo", schedule: "daily" }))).toBe("FORBIDDEN");
    // DatastoreReader has Datastore.Verify: verify jobs yes, prune jobs and the GC schedule no.
    await callerAs("reader@pbs").job.createVerify({ store: "demo", id: "ver1", schedule: "daily" });
    expect(await codeOf(callerAs("reader@pbs").job.createPrune({ store: "demo", id: "pru1", schedule: "daily" }))).toBe("FORBIDDEN");
    expect(await codeOf(callerAs("reader@pbs").job.runGc({ store: "demo" }))).toBe("FORBIDDEN");
    await callerAs("reader@pbs").job.removeVerify({ store: "demo", id: "ver1" });
  });
});
