/**
 * Journeys of the console's administration: `/` answers with a redirect on the server; add a
 * datastore (a wrong path first), remove it keeping its data, attach it again, remove it
 * destroying its data; change a group's owner; the Tasks page (a click anywhere on a row opens
 * the Task Viewer, Enter on the row too, a running duration ticks, long log lines wrap).
 * Screenshots at 1440 and 390 px go to test-results/screenshots/admin-*.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect, request as playwrightRequest, test, type Page } from "@playwright/test";
import { ORIGIN } from "./support/auth";
import { STORE, escapeRe, mutate, query, shot } from "./support/content";
import { startTask } from "./support/task";

const HOME = process.env.COFFER_E2E_HOME!;

async function wideAndNarrow(page: Page, name: string) {
  await shot(page, `admin-${name}-1440`);
  const size = page.viewportSize();
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, `admin-${name}-390`);
  if (size) await page.setViewportSize(size);
}

test("/ redirects on the server: to the login page without a session, to the datastores with one", async ({ request }) => {
  const anonymous = await playwrightRequest.newContext({ baseURL: ORIGIN, storageState: { cookies: [], origins: [] } });
  const out = await anonymous.get("/", { maxRedirects: 0 });
  expect(out.status()).toBe(307);
  expect(out.headers()["location"]).toBe("/login");
  await anonymous.dispose();

  const inside = await request.get("/", { maxRedirects: 0 });
  expect(inside.status()).toBe(307);
  expect(inside.headers()["location"]).toBe("/datastores");
});

test("add a datastore, remove it keeping its data, attach it again, remove it destroying its data", async ({ page }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  const name = "e2e-added";
  const dir = path.join(HOME, "elsewhere", name);
  await page.goto("/datastores");
  const table = page.getByRole("table", { name: "Configured datastores" });
  await expect(table.getByRole("link", { name: STORE, exact: true })).toBeVisible();

  const add = page.getByRole("button", { name: "Add datastore" });
  await add.click();
  let dialog = page.getByRole("dialog", { name: "Add datastore" });
  await dialog.getByLabel("Name").fill("x");
  await expect(dialog.getByText(/use 3 to 32 characters of A-Z a-z 0-9 _ \. -/)).toBeVisible();
  await dialog.getByLabel("Name").fill(name);
  // A relative path means nothing to the server: the field says what it needs, beside it.
  await dialog.getByLabel("Path").fill("data/store");
  await expect(dialog.getByText("path 'data/store' is not absolute: use an absolute directory path such as /srv/coffer/store1 (at most 4096 characters)")).toBeVisible();
  await expect(dialog.getByRole("button", { name: "Create" })).toBeDisabled();
  await dialog.getByLabel("Path").fill(dir);
  await dialog.getByLabel("Comment").fill("added in the console");
  await dialog.getByLabel("zstd level").fill("0");
  await expect(dialog.getByText("invalid compression level 0: use a zstd level from 1 to 19 (default 2)")).toBeVisible();
  await dialog.getByLabel("zstd level").fill("3");
  await wideAndNarrow(page, "01-add-datastore");
  await dialog.getByRole("button", { name: "Create" }).click();
  await expect(dialog).toBeHidden({ timeout: 30_000 });
  // Focus goes back to the button that opened the dialog.
  await expect(add).toBeFocused();
  const row = table.getByRole("row").filter({ has: page.getByRole("link", { name, exact: true }) });
  await expect(row).toContainText(dir);
  await expect(row).toContainText("added in the console");
  await expect(row.getByRole("meter", { name: `Disk usage of ${name}` })).toBeVisible();
  await expect(row).toContainText(/used, .* available, .* total \(\d+%\)/);
  expect(existsSync(path.join(dir, ".chunks", "ffff"))).toBe(true);
  await wideAndNarrow(page, "02-datastore-added");
  // The level chosen is what its backups will use, and its Summary says so.
  await page.goto(`/datastores/${name}/summary`);
  await expect(page.getByText("zstd level 3, kept where smaller")).toBeVisible();
  // And it can be changed there, for backups that start later.
  await page.getByRole("button", { name: `Change the compression of ${name}` }).click();
  dialog = page.getByRole("dialog", { name: `Compression of ${name}` });
  await dialog.getByLabel("zstd level").fill("25");
  await expect(dialog.getByText("invalid compression level 25: use a zstd level from 1 to 19 (default 2)")).toBeVisible();
  await expect(dialog.getByRole("button", { name: "Save" })).toBeDisabled();
  await dialog.getByRole("radio", { name: /None: every chunk uncompressed/ }).check();
  await wideAndNarrow(page, "02b-change-compression");
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByText("stored uncompressed")).toBeVisible();
  await page.goto("/datastores");

  // Remove, keeping the data: only after the name is typed.
  await row.getByRole("button", { name: `Remove datastore ${name}` }).click();
  dialog = page.getByRole("dialog", { name: `Remove datastore ${name}` });
  const remove = dialog.getByRole("button", { name: "Remove", exact: true });
  await expect(remove).toBeDisabled();
  await expect(dialog.getByRole("radio", { name: "Keep the data" })).toBeChecked();
  await dialog.getByLabel("Type the datastore's name to confirm").fill(name.slice(0, -1));
  await expect(remove).toBeDisabled();
  await dialog.getByLabel("Type the datastore's name to confirm").fill(name);
  await wideAndNarrow(page, "03-remove-datastore");
  await remove.click({ force: true }); // aria-disabled: Playwright would wait for it to be enabled
  await expect(dialog).toBeHidden();
  await expect(table.getByRole("link", { name, exact: true })).toHaveCount(0);
  expect(existsSync(path.join(dir, ".chunks", "ffff"))).toBe(true);

  // Attach it again, as it is.
  await add.click();
  dialog = page.getByRole("dialog", { name: "Add datastore" });
  await dialog.getByLabel("Name").fill(name);
  await dialog.getByLabel("Attach an existing PBS datastore").check();
  await dialog.getByRole("button", { name: "Attach" }).click();
  await expect(dialog.getByText("Enter the directory of the existing datastore (the one that holds its .chunks).")).toBeVisible();
  await dialog.getByLabel("Path of the existing datastore").fill(dir);
  await dialog.getByRole("button", { name: "Attach" }).click();
  await expect(dialog).toBeHidden();
  await expect(row).toContainText(dir);

  // Remove, destroying the data.
  await row.getByRole("button", { name: `Remove datastore ${name}` }).click();
  dialog = page.getByRole("dialog", { name: `Remove datastore ${name}` });
  await dialog.getByRole("radio", { name: "Destroy the data" }).click();
  await dialog.getByLabel("Type the datastore's name to confirm").fill(name);
  await dialog.getByRole("button", { name: "Remove and destroy data" }).click();
  await expect(dialog).toBeHidden();
  await expect(table.getByRole("link", { name, exact: true })).toHaveCount(0);
  expect(existsSync(dir)).toBe(false);
});

test("change the owner of a group from its menu", async ({ page, request }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  const NEW_OWNER = "owner-e2e@pbs";
  await mutate(request, "user.create", { userid: NEW_OWNER, password: "owner-e2e-secret" });
  const group = { type: "host", id: "backup-server" };
  const ns = "";
  const before = await query<{ items: { "backup-id": string; owner?: string }[] }>(request, "group.list", { store: STORE, ns, filter: "backup-server" });
  const original = before.items.find((g) => g["backup-id"] === group.id)?.owner;
  expect(original).toBeDefined();
  try {
    await page.goto(`/datastores/${STORE}`);
    const tree = page.getByRole("treegrid", { name: `Content of datastore ${STORE}` });
    const row = tree.getByRole("row", { name: /^Group host\/backup-server(?! in )/ });
    await expect(row).toBeVisible();
    const trigger = row.getByRole("button", { name: /^Actions for group host\/backup-server/ });
    await trigger.click();
    await page.getByRole("menuitem", { name: "Change owner" }).click();
    const dialog = page.getByRole("dialog", { name: "Change owner host/backup-server" });
    await expect(dialog).toContainText(`Current owner: ${original}`);
    const choose = dialog.getByLabel("New owner");
    await expect(choose.locator("option", { hasText: NEW_OWNER })).toHaveCount(1);
    await dialog.getByRole("button", { name: "Change owner" }).click();
    await expect(dialog.getByText("Choose the new owner.")).toBeVisible();
    await choose.selectOption(NEW_OWNER);
    await wideAndNarrow(page, "04-change-owner");
    await dialog.getByRole("button", { name: "Change owner" }).click();
    await expect(dialog).toBeHidden();
    await expect(trigger).toBeFocused();
    await expect(row).toContainText(NEW_OWNER);
    const after = await query<{ items: { "backup-id": string; owner?: string }[] }>(request, "group.list", { store: STORE, ns, filter: "backup-server" });
    expect(after.items.find((g) => g["backup-id"] === group.id)?.owner).toBe(NEW_OWNER);
  } finally {
    await mutate(request, "group.setOwner", { store: STORE, ns, group, owner: original });
  }
});

test("without Datastore.Allocate, Add datastore and Remove say why on keyboard focus and on hover, and do nothing", async ({ browser, request }) => {
  // DatastoreAdmin: anything on existing datastores, but not Datastore.Allocate (PBS).
  const user = "dsadmin-e2e@pbs";
  const password = "dsadmin-e2e-secret";
  await mutate(request, "user.create", { userid: user, password });
  await mutate(request, "acl.update", { path: "/datastore", authId: user, role: "DatastoreAdmin" });
  const context = await browser.newContext({ baseURL: ORIGIN, storageState: { cookies: [], origins: [] } });
  const page = await context.newPage();
  await page.goto("/login");
  await page.getByLabel("User name").fill(user);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/datastores$/);

  const add = page.getByRole("button", { name: "Add datastore" });
  await expect(add).toHaveAttribute("aria-disabled", "true");
  const why = "You may not add datastores: it needs Datastore.Allocate on /datastore";
  await expect(add).toHaveAccessibleDescription(why);
  // Still reachable from the keyboard, and the reason shows on focus.
  await page.getByRole("button", { name: "Reload" }).focus();
  await page.keyboard.press("Tab");
  await expect(add).toBeFocused();
  await expect(page.getByRole("tooltip")).toHaveText(why);
  await wideAndNarrow(page, "07-no-allocate-focus");
  await page.keyboard.press("Enter");
  await expect(page.getByRole("dialog")).toHaveCount(0);

  const remove = page.getByRole("button", { name: `Remove datastore ${STORE}` });
  await remove.hover();
  await expect(page.getByRole("tooltip")).toHaveText(`You may not remove ${STORE}: it needs Datastore.Allocate on /datastore/${STORE}`);
  await remove.click({ force: true }); // aria-disabled: Playwright would wait for it to be enabled
  await expect(page.getByRole("dialog")).toHaveCount(0);
  await context.close();
});

test("a task row opens the viewer by click anywhere and by Enter; a running duration ticks; long log lines wrap", async ({ page }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  // Held at a gate with a long name, so it runs as long as the test needs and logs a long line.
  const gate = `e2e-admin-${"long-gate-name-".repeat(3)}${Date.now()}`.slice(0, 64);
  const upid = await startTask("debug-sleep", { seconds: 0.2, gate });
  try {
    await page.goto("/tasks");
    const row = page.locator(`tr[data-upid="${upid}"]`);
    await expect(row).toBeVisible();
    // The duration of a running task counts up without a reload.
    const duration = row.getByRole("cell").nth(4);
    const first = await duration.textContent();
    await expect(duration).not.toHaveText(first!, { timeout: 5_000 });

    // A click on the start time (not the task's name) opens the viewer.
    await row.getByRole("cell").nth(2).click();
    const viewer = page.getByRole("dialog", { name: /^Task Viewer/ });
    await expect(viewer).toBeVisible();
    await expect(viewer.getByRole("log")).toContainText(`waiting for gate '${gate}'`);
    // At 390 px the long line wraps: no sideways scrolling, the line is more than one row high.
    await page.setViewportSize({ width: 390, height: 844 });
    const log = viewer.getByRole("log");
    const line = log.locator(".task-log__line", { hasText: gate });
    await expect.poll(async () => (await line.boundingBox())?.height ?? 0).toBeGreaterThan(30);
    expect(await log.evaluate((el) => el.scrollWidth - el.clientWidth)).toBeLessThanOrEqual(0);
    await shot(page, "admin-05-task-viewer-390");
    await page.setViewportSize({ width: 1440, height: 900 });
    await shot(page, "admin-05-task-viewer-1440");
    await page.keyboard.press("Escape");
    await expect(viewer).toBeHidden();

    // The clicked row has the focus back; Enter opens the viewer again.
    await expect(row).toBeFocused();
    await page.keyboard.press("Enter");
    await expect(viewer).toBeVisible();
    await page.keyboard.press("Escape");
    await expect(viewer).toBeHidden();
    await wideAndNarrow(page, "06-tasks");
  } finally {
    mkdirSync(path.join(HOME, "run", "debug-gates"), { recursive: true });
    writeFileSync(path.join(HOME, "run", "debug-gates", gate), "");
  }
  // Let it end (so that later journeys see no running task): the list shows it finished after a reload.
  await expect(async () => {
    await page.reload();
    await expect(page.locator(`tr[data-upid="${upid}"]`)).toContainText("OK", { timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
});

test("the task filters take ISO dates and say what they expect", async ({ page }) => {
  await page.goto("/tasks");
  const since = page.getByLabel("Started since");
  await since.fill("12/05/2026");
  await expect(page.getByRole("alert").filter({ hasText: "use YYYY-MM-DD, for example 2026-01-31" })).toBeVisible();
  await expect(page.getByRole("button", { name: /^Clear filters$/ })).toBeVisible();
  await since.fill("2000-01-01");
  await expect(page.getByRole("alert").filter({ hasText: /YYYY-MM-DD/ })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Clear filters (1)" })).toBeVisible();
  await expect(since).toHaveValue(new RegExp(`^${escapeRe("2000-01-01")}$`));
});
