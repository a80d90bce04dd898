/**
 * Journey: the datastore jobs from the console against the demo store. The datastore list shows
 * each store's usage; the Summary runs a garbage collection and shows its result and history;
 * a store-wide verify of the demo ends in TASK ERROR (one snapshot never finished, as in PBS),
 * so a group is verified from its row menu instead and ends OK; a group is pruned after reading
 * the dry-run preview. Every task is followed in the Task Viewer until it ends.
 */
import { expect, test, type Page } from "@playwright/test";
import { STORE, query, shot } from "./support/content";

test.describe.configure({ timeout: 120_000 });

async function both(page: Page, name: string) {
  await page.emulateMedia({ colorScheme: "light" });
  await shot(page, `${name}-light`);
  await page.emulateMedia({ colorScheme: "dark" });
  await shot(page, `${name}-dark`);
  await page.emulateMedia({ colorScheme: "light" });
}

test("the datastore list shows usage and maintenance", async ({ page }) => {
  await page.goto("/datastores");
  const table = page.getByRole("table", { name: "Configured datastores" });
  const row = table.getByRole("row").filter({ has: page.getByRole("link", { name: STORE, exact: true }) });
  await expect(row.getByRole("meter", { name: `Disk usage of ${STORE}` })).toBeVisible();
  // As df -h says it: used, available, total, and used / (used + available) in whole percent.
  await expect(row).toContainText(/used, .* available, .* total \(\d+%\)/);
  await expect(row).toContainText("None");
  await both(page, "jobs-01-datastores");
});

test("run garbage collection from the Summary and see its result", async ({ page }) => {
  await page.goto(`/datastores/${STORE}`);
  await page.getByRole("navigation", { name: `Views of datastore ${STORE}` }).getByRole("link", { name: "Summary" }).click();
  await expect(page).toHaveURL(new RegExp(`/datastores/${STORE}/summary$`));
  const gcCard = page.getByRole("region", { name: "Garbage collection", exact: true });
  await expect(gcCard).toContainText("No garbage collection has run yet.");
  await expect(page.getByRole("region", { name: "Content", exact: true }).getByRole("row", { name: /VMs 10/ })).toBeVisible();
  await expect(page.getByRole("meter", { name: `Disk usage of ${STORE}` })).toBeVisible();
  await both(page, "jobs-02-summary-before");

  await gcCard.getByRole("button", { name: "Start GC" }).click();
  const dialog = page.getByRole("dialog", { name: "Start Garbage Collection" });
  await expect(dialog).toBeVisible();
  await both(page, "jobs-03-start-gc");
  await dialog.getByRole("button", { name: "Start GC" }).click();

  const viewer = page.getByRole("dialog", { name: /Task Viewer/ });
  await expect(viewer).toBeVisible();
  await expect(viewer).toContainText(/Task Viewer: Garbage collection/);
  // The status line, not the log: the log view is virtualised and may show any part of it.
  await expect(viewer.getByRole("status", { name: "Task status" })).toContainText("Finished successfully", { timeout: 60_000 });
  await both(page, "jobs-04-gc-task");
  await viewer.getByRole("button", { name: "Close", exact: true }).click();
  await expect(viewer).toBeHidden();

  // The card and the history reload once the task ended.
  await expect(gcCard).toContainText("Dedup factor");
  await expect(gcCard.getByText("OK", { exact: true })).toBeVisible();
  const history = page.getByRole("figure", { name: "Garbage collection history" });
  await expect(history).toContainText("One run. The last,");
  await history.getByText("Data table").click();
  await expect(history.getByRole("table")).toContainText("Dedup factor");
  await both(page, "jobs-05-summary-after-gc");
});

test("a store-wide verify of the demo ends in an error; a group verifies OK", async ({ page }) => {
  await page.goto(`/datastores/${STORE}/summary`);
  const verifyCard = page.getByRole("region", { name: "Verification" });
  await verifyCard.getByRole("button", { name: "Verify all" }).click();
  const dialog = page.getByRole("dialog", { name: `Verify datastore ${STORE}` });
  await expect(dialog).toContainText("An unfinished snapshot");
  await both(page, "jobs-06-verify-all-dialog");
  await dialog.getByRole("button", { name: "Verify", exact: true }).click();
  const viewer = page.getByRole("dialog", { name: /Task Viewer/ });
  // As in PBS: the unfinished snapshot of prod/vm/200 fails the store-wide verify.
  const verifyStatus = viewer.getByRole("status", { name: "Task status" });
  await expect(verifyStatus).toContainText("Error", { timeout: 90_000 });
  await expect(verifyStatus).toContainText("verification failed - please check the log for details");
  await both(page, "jobs-07-verify-all-error");
  await viewer.getByRole("button", { name: "Close", exact: true }).click();
  await expect(verifyCard).toContainText("Error");

  // A group instead: from its row menu in the content tree, by keyboard.
  await page.getByRole("navigation", { name: `Views of datastore ${STORE}` }).getByRole("link", { name: "Content" }).click();
  const tree = page.getByRole("treegrid", { name: `Content of datastore ${STORE}` });
  const row = tree.getByRole("row", { name: /^Group vm\/100(?! in )/ });
  await row.focus();
  await page.keyboard.press("Shift+F10");
  await page.getByRole("menu").getByRole("menuitem", { name: "Verify" }).click();
  const groupDialog = page.getByRole("dialog", { name: "Verify group vm/100" });
  await expect(groupDialog.getByLabel("Skip verified snapshots")).toBeChecked();
  await both(page, "jobs-08-verify-group-dialog");
  await groupDialog.getByRole("button", { name: "Verify", exact: true }).click();
  await expect(viewer.getByRole("status", { name: "Task status" })).toContainText("Finished successfully", { timeout: 60_000 });
  await viewer.getByRole("button", { name: "Close", exact: true }).click();

  const status = await query<{ lastVerify?: { state: string } }>(page.request, "datastore.status", { store: STORE });
  expect(status.lastVerify?.state).toBe("ok");
});

test("prune a group after reading the dry run", async ({ page }) => {
  await page.goto(`/datastores/${STORE}`);
  const tree = page.getByRole("treegrid", { name: `Content of datastore ${STORE}` });
  const row = tree.getByRole("row", { name: /^Group host\/backup-server(?! in )/ });
  await row.focus();
  await page.keyboard.press("Shift+F10");
  await page.getByRole("menu").getByRole("menuitem", { name: "Prune" }).click();

  const dialog = page.getByRole("dialog", { name: "Prune group host/backup-server" });
  const preview = dialog.getByRole("region", { name: /Preview/ });
  await expect(preview).toContainText("No keep option set: every snapshot is kept.");
  await expect(dialog.getByRole("button", { name: "Prune" })).toBeDisabled();

  await dialog.getByLabel("Keep last").fill("0");
  await expect(dialog.getByText("Enter a whole number from 1 to 100000, or leave it empty.")).toBeVisible();
  await dialog.getByLabel("Keep last").fill("abc");
  await expect(dialog.getByText("Enter a whole number from 1 to 100000, or leave it empty.")).toBeVisible();
  await dialog.getByLabel("Keep last").fill("1");
  await expect(preview).toContainText("1 kept, 2 removed.");
  const table = preview.getByRole("table", { name: "Prune preview of host/backup-server" });
  await expect(table.getByRole("row")).toHaveCount(4);
  await expect(table.getByText("Remove")).toHaveCount(2);
  await both(page, "jobs-09-prune-dialog");

  await dialog.getByRole("button", { name: "Prune (remove 2)" }).click();
  const viewer = page.getByRole("dialog", { name: /Task Viewer/ });
  await expect(viewer.getByRole("status", { name: "Task status" })).toContainText("Finished successfully", { timeout: 60_000 });
  await both(page, "jobs-10-prune-task");
  await viewer.getByRole("button", { name: "Close", exact: true }).click();

  const snaps = await query<{ items: unknown[] }>(page.request, "snapshot.list", { store: STORE, ns: "", group: { type: "host", id: "backup-server" } });
  expect(snaps.items).toHaveLength(1);
});
