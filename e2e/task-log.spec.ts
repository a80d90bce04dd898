/**
 * Following a task live: a debug-sleep task started from the command line (as an admin would
 * start a move) shows up in the header's Tasks button; opening it in the Task Viewer shows its
 * log lines arriving, Stop aborts it, and the viewer then shows PBS's abort status.
 */
import { expect, test, type Page } from "@playwright/test";
import { startTask } from "./support/task";

/** The highest log line number shown. */
async function lastLine(page: Page): Promise<number> {
  const ns = await page.locator(".task-log__line").evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-n"))));
  return Math.max(0, ...ns);
}

test("a running task's log arrives live in the Task Viewer, and Stop aborts it", async ({ page }) => {
  const upid = await startTask("debug-sleep", { seconds: 60 });
  await page.goto("/datastores");

  // The header counts it and lists it.
  const tasksButton = page.getByRole("button", { name: /^Tasks, [1-9]\d* running$/ });
  await expect(tasksButton).toBeVisible();
  await tasksButton.click();
  const menu = page.getByRole("menu");
  await expect(menu.getByRole("menuitem", { name: /Debug sleep/ })).toBeVisible();
  await page.screenshot({ path: "test-results/screens/tasks-menu.png" });
  await menu.getByRole("menuitem", { name: /Debug sleep/ }).first().click();

  const viewer = page.getByRole("dialog", { name: /^Task Viewer/ });
  await expect(viewer).toBeVisible();
  await expect(viewer.getByText(upid)).toBeAttached();
  await expect(viewer.getByRole("status", { name: "Task status" })).toContainText("Running");

  // Lines keep arriving while the viewer is open (pushed over SSE).
  await expect(viewer.getByRole("log")).toContainText(/progress \d+ of 600/);
  const first = await lastLine(page);
  await expect.poll(() => lastLine(page), { timeout: 5000 }).toBeGreaterThan(first + 5);
  await page.screenshot({ path: "test-results/screens/task-viewer-running.png" });

  // Keyboard: Stop with Enter; the focus then stays in the dialog, on Close.
  await viewer.getByRole("button", { name: "Stop" }).focus();
  await page.keyboard.press("Enter");
  const status = viewer.getByRole("status", { name: "Task status" });
  await expect(status).toContainText("abort requested - aborting task");
  await expect(status).toContainText("Stopped");
  await expect(viewer.getByRole("button", { name: "Stop" })).toHaveCount(0);
  await expect(viewer.getByRole("button", { name: "Close", exact: true })).toBeFocused();
  await expect(viewer.getByRole("log")).toContainText("TASK ERROR: abort requested - aborting task");
  await expect(viewer).toContainText("Stopped on request before it finished.");
  await page.screenshot({ path: "test-results/screens/task-viewer-stopped.png" });

  // The log downloads under PBS's file name.
  const download = page.waitForEvent("download");
  await viewer.getByRole("button", { name: "Download" }).click();
  expect((await download).suggestedFilename()).toMatch(/^task-[\w-]+-debug-sleep-\d{4}-\d\d-\d\dT\d\d[:_]\d\d[:_]\d\dZ\.log$/);

  // Escape closes it and hands the focus back to where it was opened from.
  await page.keyboard.press("Escape");
  await expect(viewer).toBeHidden();
  await expect(page.getByRole("button", { name: /^Tasks, \d+ running$/ })).toBeFocused();
});

test("the Tasks page lists finished tasks with filters, in light and dark themes", async ({ page }) => {
  const upid = await startTask("debug-sleep", { seconds: 0, id: "listed" });
  await page.goto("/tasks");
  const table = page.getByRole("table");
  await expect(table.getByRole("button", { name: "Debug sleep (listed)" }).first()).toBeVisible();

  // Filter by a type nothing has (other specs run GC, moves, verify...): the list empties, and
  // clearing brings it back.
  await page.getByLabel("Task type").fill("no-such-task-type");
  await expect(page.getByText("No tasks match these filters.")).toBeVisible();
  await page.getByRole("button", { name: /Clear filters \(1\)/ }).click();
  await expect(table.getByRole("button", { name: "Debug sleep (listed)" }).first()).toBeVisible();
  await page.getByRole("checkbox", { name: "OK" }).check();
  await expect(table.getByRole("button", { name: "Debug sleep (listed)" }).first()).toBeVisible();
  await page.screenshot({ path: "test-results/screens/tasks-page-light.png", fullPage: true });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: "test-results/screens/tasks-page-dark.png", fullPage: true });

  // Keyboard: the row's button opens the viewer.
  await table.getByRole("button", { name: "Debug sleep (listed)" }).first().focus();
  await page.keyboard.press("Enter");
  const viewer = page.getByRole("dialog", { name: /^Task Viewer/ });
  await expect(viewer.getByRole("status", { name: "Task status" })).toContainText("OK");
  await expect(viewer.getByText(upid)).toBeAttached();
  await page.screenshot({ path: "test-results/screens/task-viewer-dark.png" });

  // The open task and the filters are in the address bar: a reload (or a shared link) comes back to them.
  await expect(page).toHaveURL(/[?&]result=ok(&|$)/);
  await expect(page).toHaveURL(new RegExp(`[?&]upid=${upid.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
  await page.reload();
  await expect(page.getByRole("dialog", { name: /^Task Viewer/ }).getByText(upid)).toBeAttached();
  // The open viewer hides the page from the accessibility tree: close it, then read the filters.
  await page.keyboard.press("Escape");
  await expect(page).not.toHaveURL(/upid=/);
  await expect(page.getByRole("checkbox", { name: "OK" })).toBeChecked();
  await page.goto("/datastores");
  await page.goBack();
  await expect(page.getByRole("checkbox", { name: "OK" })).toBeChecked();
});

test("the Task Viewer shows a task's end and its last lines even when the live log stream stalls", async ({ page }) => {
  // Requests to the live stream are held and never answered: as a stuck stream on a busy server.
  await page.route("**/api/trpc/task.follow**", () => {});
  const upid = await startTask("debug-sleep", { seconds: 0.5, id: "stalled" });
  await page.goto("/tasks");
  const table = page.getByRole("table");
  await table.getByRole("button", { name: "Debug sleep (stalled)" }).first().click();
  const viewer = page.getByRole("dialog", { name: /^Task Viewer/ });
  await expect(viewer.getByText(upid)).toBeAttached();
  // The status is polled while the task runs; once it says stopped, the missing lines are fetched.
  await expect(viewer.getByRole("status", { name: "Task status" })).toContainText("OK", { timeout: 15_000 });
  await expect(viewer.getByRole("log")).toContainText("progress 5 of 5");
  await expect(viewer.getByRole("log")).toContainText("TASK OK");
});
