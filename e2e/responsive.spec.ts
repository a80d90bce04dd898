/**
 * The console from a 390 px phone to a 1440 px screen (issue 11.3): every main page fits the
 * window without scrolling sideways, the header's navigation and user menu stay on screen and
 * usable (behind a menu button on narrow screens), row menus and dialogs fit the viewport. The
 * tables of Datastores, Tasks, Users, API tokens, Permissions and My account do not scroll
 * sideways either (on phones their rows stack as cards) and each row's action is on screen.
 * Each journey's screenshot is attached to the HTML report (playwright-report/) per width.
 */
import { expect, test, type Locator, type Page, type TestInfo } from "@playwright/test";
import { ADMIN, ADMIN_PASSWORD } from "./support/auth";
import { STORE, mutate } from "./support/content";
import { startTask } from "./support/task";

const WIDTHS = [1440, 800, 390] as const;
/** Below this width the main navigation folds behind the "Main menu" button (app/globals.css). */
const NAV_FOLDS_BELOW = 720;

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

async function boxOf(locator: Locator): Promise<Box> {
  const box = await locator.boundingBox();
  expect(box, "element has a box").not.toBeNull();
  return box!;
}

/** Nothing on the page makes it wider than the window. */
async function expectNoSidewaysScroll(page: Page, what: string) {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({
    scrollWidth: document.scrollingElement!.scrollWidth,
    innerWidth: window.innerWidth,
  }));
  expect(scrollWidth, `${what} is ${scrollWidth} px wide in a ${innerWidth} px window`).toBeLessThanOrEqual(innerWidth);
}

/** The element lies entirely inside the window (no scrolling needed to see or reach it). */
async function expectInViewport(page: Page, locator: Locator, what: string) {
  const box = await boxOf(locator);
  const vp = page.viewportSize()!;
  const inside = box.x >= 0 && box.y >= 0 && box.x + box.width <= vp.width + 0.5 && box.y + box.height <= vp.height + 0.5;
  expect(inside, `${what} at ${JSON.stringify(box)} in a ${vp.width}x${vp.height} window`).toBe(true);
}

/** A dialog fits the window and its contents do not spill sideways out of it. */
async function expectDialogFits(page: Page, dialog: Locator, what: string) {
  await expect(dialog).toBeVisible();
  await expectInViewport(page, dialog, what);
  const spill = await dialog.evaluate((el) => {
    const body = el.querySelector(".dialog__body") ?? el;
    return body.scrollWidth - body.clientWidth;
  });
  expect(spill, `${what}: contents wider than the dialog by ${spill} px`).toBeLessThanOrEqual(0);
}

/**
 * A table that does not scroll sideways inside its panel either, with `control` (one row's
 * action) within the window's width once scrolled to: on phones the rows stack as cards
 * instead of hiding their actions off to the right.
 */
async function expectTableFits(page: Page, table: Locator, control: Locator, what: string) {
  await expect(table).toBeVisible();
  const spill = await table.evaluate((el) => {
    const wrap = el.closest(".table-wrap") ?? el.parentElement!;
    return wrap.scrollWidth - wrap.clientWidth;
  });
  expect(spill, `${what} scrolls sideways inside its panel by ${spill} px`).toBeLessThanOrEqual(0);
  await control.scrollIntoViewIfNeeded();
  await expectInViewport(page, control, `${what}: ${await control.getAttribute("aria-label") ?? await control.textContent()}`);
}

/**
 * The header spans the window, and the user menu's button sits inside it (its light text on the
 * header's dark background: outside the header it was white on the page's white).
 */
async function expectHeaderFits(page: Page) {
  const header = page.getByRole("banner");
  const vp = page.viewportSize()!;
  const h = await boxOf(header);
  expect(h.x).toBe(0);
  expect(Math.round(h.width)).toBe(vp.width);
  const trigger = page.getByRole("button", { name: `User menu for ${ADMIN}` });
  await expect(trigger).toBeVisible();
  const t = await boxOf(trigger);
  const inHeader = t.x >= h.x && t.y >= h.y && t.x + t.width <= h.x + h.width + 0.5 && t.y + t.height <= h.y + h.height + 0.5;
  expect(inHeader, `user menu button at ${JSON.stringify(t)}, header at ${JSON.stringify(h)}`).toBe(true);
}

/**
 * The Main navigation: inline on wide screens; folded behind the Main menu button on narrow ones,
 * where Escape folds it again and hands the focus back to the button. Every section's link is
 * on screen once it shows.
 */
async function expectNavigationUsable(page: Page, testInfo: TestInfo) {
  const toggle = page.getByRole("button", { name: "Main menu" });
  const nav = page.getByRole("navigation", { name: "Main" });
  const link = (name: string) => nav.getByRole("link", { name, exact: true });
  if (page.viewportSize()!.width < NAV_FOLDS_BELOW) {
    await expectInViewport(page, toggle, "the Main menu button");
    await expect(toggle).toHaveAttribute("aria-expanded", "false");
    await expect(link("Datastores")).toBeHidden();
    await toggle.click();
    await expect(toggle).toHaveAttribute("aria-expanded", "true");
    await link("Datastores").focus();
    await page.keyboard.press("Escape");
    await expect(link("Datastores")).toBeHidden();
    await expect(toggle).toBeFocused();
    await page.keyboard.press("Enter");
    await expect(toggle).toHaveAttribute("aria-expanded", "true");
    await attach(page, testInfo, "04 main menu");
  } else {
    await expect(toggle).toBeHidden();
  }
  for (const name of ["Datastores", "Tasks", "Users", "Permissions"]) {
    await expect(link(name)).toBeVisible();
    await expectInViewport(page, link(name), `the ${name} link`);
  }
}

/** Into the HTML report, and under a readable name in the test's output folder. */
async function attach(page: Page, testInfo: TestInfo, name: string, fullPage = false) {
  const width = page.viewportSize()!.width;
  const file = testInfo.outputPath(`${width}px ${name}.png`);
  await page.screenshot({ path: file, fullPage });
  await testInfo.attach(`${width} px: ${name}`, { path: file, contentType: "image/png" });
}

let upid: string;
test.beforeAll(async () => {
  // A finished task for the Tasks page and the Task Viewer.
  upid = await startTask("debug-sleep", { seconds: 0, id: "responsive" });
});

for (const width of WIDTHS) {
  const height = width < 500 ? 844 : 900;

  test(`the console at ${width} px: no sideways scrolling, header, menus and dialogs on screen`, async ({ browser, page }, testInfo) => {
    test.setTimeout(180_000);
    await page.setViewportSize({ width, height });

    // Login, in a context without the admin's session.
    const anonymous = await browser.newContext({ storageState: { cookies: [], origins: [] }, viewport: { width, height } });
    const login = await anonymous.newPage();
    await login.goto("/login");
    await expect(login.getByLabel("User name")).toBeVisible();
    await expectNoSidewaysScroll(login, "the login page");
    await expectInViewport(login, login.getByRole("button", { name: "Log in" }), "the Log in button");
    await login.getByLabel("User name").fill(ADMIN);
    await login.getByLabel("Password").fill(ADMIN_PASSWORD);
    await attach(login, testInfo, "01 login");
    await anonymous.close();

    // Datastore list: the header, the user menu, the navigation.
    await page.goto("/datastores");
    const list = page.getByRole("table", { name: "Configured datastores" });
    await expect(list.getByRole("link", { name: STORE, exact: true })).toBeVisible();
    await expectNoSidewaysScroll(page, "the datastore list");
    await expectTableFits(page, list, list.getByRole("button", { name: `Remove datastore ${STORE}` }), "the datastore list");
    await page.evaluate(() => window.scrollTo(0, 0));
    await expectHeaderFits(page);
    await attach(page, testInfo, "02 datastore list", true);

    const trigger = page.getByRole("button", { name: `User menu for ${ADMIN}` });
    await trigger.click();
    const userMenu = page.getByRole("menu");
    await expect(userMenu.getByRole("menuitem", { name: "Log out" })).toBeVisible();
    await expect(userMenu).toContainText(`Logged in as ${ADMIN}`);
    for (const item of await userMenu.getByRole("menuitem").all()) {
      await expectInViewport(page, item, `user menu item ${await item.textContent()}`);
    }
    await attach(page, testInfo, "03 user menu");
    await page.keyboard.press("Escape");
    await expect(userMenu).toBeHidden();
    await expect(trigger).toBeFocused();

    // The navigation takes us to Tasks (and, folded, folds again behind us).
    await expectNavigationUsable(page, testInfo);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Tasks", exact: true }).click();
    await expect(page).toHaveURL(/\/tasks$/);
    await expect(page.getByRole("heading", { name: "Tasks", level: 1 })).toBeVisible();
    const tasks = page.getByRole("table");
    await expect(tasks.getByRole("button", { name: "Debug sleep (responsive)" }).first()).toBeVisible();
    await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Datastores", exact: true })).toBeVisible({
      visible: width >= NAV_FOLDS_BELOW,
    });
    await expectNoSidewaysScroll(page, "the Tasks page");
    await expectTableFits(page, tasks, tasks.getByRole("button", { name: "Debug sleep (responsive)" }).first(), "the task table");
    await expectHeaderFits(page);
    await attach(page, testInfo, "05 tasks", true);

    // Task Viewer.
    await tasks.getByRole("button", { name: "Debug sleep (responsive)" }).first().click();
    const viewer = page.getByRole("dialog", { name: /^Task Viewer/ });
    await expect(viewer.getByText(upid)).toBeAttached();
    await expect(viewer.getByRole("status", { name: "Task status" })).toContainText("OK");
    await expect(viewer.getByRole("log")).toContainText("TASK OK");
    await expectDialogFits(page, viewer, "the Task Viewer");
    await attach(page, testInfo, "06 task viewer");
    await page.keyboard.press("Escape");
    await expect(viewer).toBeHidden();

    // Summary.
    await page.goto(`/datastores/${STORE}/summary`);
    await expect(page.getByRole("heading", { name: "Usage" })).toBeVisible();
    await expect(page.getByRole("heading", { name: "Garbage collection", exact: true })).toBeVisible();
    await expectNoSidewaysScroll(page, "the datastore summary");
    await expectHeaderFits(page);
    await attach(page, testInfo, "07 summary", true);

    // Content: a group expanded, its row menu on screen without scrolling the tree sideways.
    await page.goto(`/datastores/${STORE}`);
    const tree = page.getByRole("treegrid", { name: `Content of datastore ${STORE}` });
    await tree.getByRole("button", { name: "Group vm/100", exact: true }).click();
    await expect(tree.getByRole("row", { name: /^Snapshot vm\/100 / }).first()).toBeVisible();
    await expectNoSidewaysScroll(page, "the content tree");
    await expectHeaderFits(page);
    await attach(page, testInfo, "08 content, group expanded", true);

    const actions = tree.getByRole("button", { name: "Actions for group vm/100", exact: true });
    await expectInViewport(page, actions, "the actions button of group vm/100");
    await actions.click();
    const rowMenu = page.getByRole("menu");
    await expect(rowMenu.getByRole("menuitem", { name: "Move Group" })).toBeVisible();
    await expectInViewport(page, rowMenu, "the row menu");
    await attach(page, testInfo, "09 row menu");

    // Move Group with its preview.
    await rowMenu.getByRole("menuitem", { name: "Move Group" }).click();
    const move = page.getByRole("dialog", { name: /^Move Group vm\/100/ });
    await move.getByLabel("Target namespace").fill("archive");
    await expect(move.getByRole("region", { name: "Preview" }).getByRole("row", { name: /vm\/100/ })).toBeVisible();
    await expectDialogFits(page, move, "the Move Group dialog");
    await expectInViewport(page, move.getByRole("button", { name: "Move", exact: true }), "the Move button");
    await attach(page, testInfo, "10 move group preview");
    await move.getByRole("button", { name: "Cancel" }).click();
    await expect(move).toBeHidden();

    // Maintenance Mode.
    await page.getByRole("button", { name: "Maintenance mode…" }).click();
    const maintenance = page.getByRole("dialog", { name: "Maintenance Mode" });
    await expect(maintenance.getByRole("radiogroup", { name: "Mode" })).toBeVisible();
    await expectDialogFits(page, maintenance, "the Maintenance Mode dialog");
    await expectInViewport(page, maintenance.getByRole("button", { name: "Save" }), "the Save button");
    await attach(page, testInfo, "11 maintenance dialog");
    await page.keyboard.press("Escape");
    await expect(maintenance).toBeHidden();

    // Users, API tokens, permissions.
    await page.goto("/admin/users");
    const users = page.getByRole("table", { name: "Users" });
    await expect(users.getByRole("cell", { name: new RegExp(ADMIN) })).toBeVisible();
    await expectNoSidewaysScroll(page, "the Users page");
    await expectTableFits(page, users, users.getByRole("button", { name: "Set password" }).first(), "the user table");
    await expectHeaderFits(page);
    await attach(page, testInfo, "12 users", true);

    // A token of the admin's own, so that both token tables have a row.
    const token = `responsive-${width}`;
    await mutate(page.request, "token.create", { name: token, comment: "a row for the responsive check, with a comment long enough to wrap" });
    await page.goto("/admin/tokens");
    await expect(page.getByRole("heading", { name: /API tokens/, level: 1 })).toBeVisible();
    const tokens = page.getByRole("table", { name: /API tokens/ });
    await expect(tokens.getByRole("cell", { name: `${ADMIN}!${token}` })).toBeVisible();
    await expectNoSidewaysScroll(page, "the API tokens page");
    await expectTableFits(page, tokens, tokens.getByRole("button", { name: "Revoke" }).last(), "the token table");
    await attach(page, testInfo, "13 tokens", true);

    await page.goto("/admin/permissions");
    const permissions = page.getByRole("table", { name: "Permissions" });
    // On phones a cell's name starts with its label ("Role Admin").
    await expect(permissions.getByRole("cell", { name: /\bAdmin$/ })).toBeVisible();
    await expectNoSidewaysScroll(page, "the Permissions page");
    await expectTableFits(page, permissions, permissions.getByRole("button", { name: /^Remove / }).first(), "the permission table");
    await expectHeaderFits(page);
    await attach(page, testInfo, "14 permissions", true);

    // My account: the password form, the user's tokens and sessions.
    await page.goto("/account");
    await expect(page.getByRole("heading", { name: "My account", level: 1 })).toBeVisible();
    const mine = page.getByRole("table", { name: "Your API tokens" });
    await expect(mine.getByRole("cell", { name: `${ADMIN}!${token}` })).toBeVisible();
    await expectNoSidewaysScroll(page, "My account");
    await expectInViewport(page, page.getByRole("button", { name: "Change password" }), "the Change password button");
    await expectTableFits(page, mine, mine.getByRole("button", { name: "Revoke" }).last(), "my token table");
    const sessions = page.getByRole("table", { name: "Sessions" });
    await expectTableFits(page, sessions, sessions.getByRole("row", { name: /This session/ }), "my session table");
    await page.evaluate(() => window.scrollTo(0, 0));
    await expectHeaderFits(page);
    await attach(page, testInfo, "15 my account", true);
  });
}
