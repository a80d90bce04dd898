/**
 * Journey: scheduled jobs of the demo store from its Jobs view. An invalid schedule is refused
 * with the position and the grammar; a verify job of prod/us is added, run now and followed in
 * the Task Viewer, and shows its last run and next run; a verify job of the whole store fails
 * (the demo holds an unfinished snapshot) and the failure shows at a glance in the datastore
 * list and on the Summary; a GC schedule is set; the jobs are edited and removed again.
 */
import { expect, test, type Page } from "@playwright/test";
import { STORE, shot } from "./support/content";

test.describe.configure({ timeout: 120_000 });

async function openJobs(page: Page) {
  await page.goto(`/datastores/${STORE}`);
  await page.getByRole("navigation", { name: `Views of datastore ${STORE}` }).getByRole("link", { name: "Jobs" }).click();
  await expect(page).toHaveURL(new RegExp(`/datastores/${STORE}/jobs$`));
}

const jobRow = (page: Page, id: string) =>
  page.getByRole("table", { name: "Jobs" }).getByRole("row").filter({ has: page.getByText(id, { exact: true }) });

async function runNow(page: Page, id: string, expected: RegExp | string) {
  await jobRow(page, id).getByRole("button", { name: `Run ${id} now` }).click();
  const viewer = page.getByRole("dialog", { name: /Task Viewer/ });
  await expect(viewer).toBeVisible();
  await expect(viewer.getByRole("status", { name: "Task status" })).toContainText(expected, { timeout: 60_000 });
  return viewer;
}

test("add a verify job, refuse a bad schedule, run it now and see its runs", async ({ page }) => {
  await openJobs(page);
  await expect(page.getByText("No scheduled jobs.")).toBeVisible();

  await page.getByRole("button", { name: "Add verify job" }).click();
  const dialog = page.getByRole("dialog", { name: "Add Verify Job" });
  await dialog.getByLabel("Job ID").fill("weekly-check");
  await dialog.getByLabel("Schedule", { exact: true }).fill("sat 02:61");
  await dialog.getByLabel("Namespace").fill("prod/us");
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(dialog).toContainText("at position 8 ('61'): expected a minute below 60, not 61");
  await shot(page, "schedule-01-bad-event");

  await dialog.getByLabel("Schedule", { exact: true }).fill("sat 02:30");
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(dialog).toBeHidden();
  const row = jobRow(page, "weekly-check");
  await expect(row).toContainText("sat 02:30");
  await expect(row).toContainText("prod/us");
  await expect(row).toContainText("never");

  const viewer = await runNow(page, "weekly-check", "Finished successfully");
  await expect(viewer).toContainText(/Task Viewer: Verification job/);
  await viewer.getByRole("button", { name: "Close", exact: true }).click();
  await expect(row.getByText("OK", { exact: true })).toBeVisible();
  await shot(page, "schedule-02-jobs-view");

  // The last run's log, from the row.
  await row.getByRole("button", { name: "Show task log" }).click();
  await expect(page.getByRole("dialog", { name: /Task Viewer/ })).toContainText("verify job 'weekly-check'");
  await page.getByRole("dialog", { name: /Task Viewer/ }).getByRole("button", { name: "Close", exact: true }).click();

  // Edit: the schedule changes, the job stays.
  await row.getByRole("button", { name: "Edit weekly-check" }).click();
  const edit = page.getByRole("dialog", { name: "Edit Verify Job weekly-check" });
  await edit.getByLabel("Schedule", { exact: true }).fill("mon..fri 22:00");
  await edit.getByRole("button", { name: "Save" }).click();
  await expect(edit).toBeHidden();
  await expect(row).toContainText("mon..fri 22:00");
});

test("a failed job shows in the datastore list and on the Summary until it is removed", async ({ page }) => {
  await openJobs(page);
  await page.getByRole("button", { name: "Add verify job" }).click();
  const dialog = page.getByRole("dialog", { name: "Add Verify Job" });
  await dialog.getByLabel("Job ID").fill("whole-store");
  await dialog.getByLabel("Schedule", { exact: true }).fill("daily");
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(dialog).toBeHidden();

  const viewer = await runNow(page, "whole-store", "verification failed");
  await viewer.getByRole("button", { name: "Close", exact: true }).click();
  await expect(jobRow(page, "whole-store").getByText("Failed", { exact: true })).toBeVisible();

  // The GC schedule, beside the jobs.
  await page.getByRole("button", { name: "Schedule GC" }).click();
  const gc = page.getByRole("dialog", { name: "GC Schedule" });
  await gc.getByLabel("Schedule", { exact: true }).fill("sat 03:00");
  await gc.getByRole("button", { name: "Save" }).click();
  await expect(gc).toBeHidden();
  await expect(jobRow(page, STORE)).toContainText("sat 03:00");
  await shot(page, "schedule-03-failed-job");

  await page.goto("/datastores");
  const badge = page.getByRole("link", { name: "1 job failed" });
  await expect(badge).toBeVisible();
  await shot(page, "schedule-04-list-badge");
  await page.goto(`/datastores/${STORE}/summary`);
  await expect(page.getByRole("link", { name: "1 job failed" })).toBeVisible();
  await page.getByRole("link", { name: "1 job failed" }).click();
  await expect(page).toHaveURL(new RegExp(`/datastores/${STORE}/jobs$`));

  for (const id of ["whole-store", "weekly-check", STORE]) {
    await jobRow(page, id).getByRole("button", { name: `Remove ${id}` }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Remove" }).click();
    await expect(jobRow(page, id)).toHaveCount(0);
  }
  await expect(page.getByText("No scheduled jobs.")).toBeVisible();
  await page.goto("/datastores");
  await expect(page.getByRole("table", { name: "Configured datastores" })).toBeVisible();
  await expect(page.getByRole("link", { name: "1 job failed" })).toHaveCount(0);
});
