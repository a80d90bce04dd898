/**
 * Journeys: log in (a wrong password first), log out; the admin pages; a reader
 * (DatastoreReader on /datastore/demo) finds the Move actions disabled with the reason, and the
 * API refuses the move when forced from the page with fetch.
 */
import { expect, test, type Browser, type Page } from "@playwright/test";
import { ADMIN, ADMIN_PASSWORD, ORIGIN } from "./support/auth";
import { STORE, escapeRe, shot } from "./support/content";

const READER = "reader@pbs";
const READER_PASSWORD = "reader-secret";

async function freshPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ baseURL: ORIGIN, storageState: { cookies: [], origins: [] } });
  return context.newPage();
}

async function logIn(page: Page, user: string, password: string) {
  await page.getByLabel("User name").fill(user);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
}

test("log in and log out", async ({ browser }) => {
  const page = await freshPage(browser);
  await page.goto("/datastores");
  await expect(page).toHaveURL(/\/login\?next=%2Fdatastores$/);
  await expect(page.getByRole("heading", { name: "Log in to the console" })).toBeVisible();
  await shot(page, "auth-01-login");

  await logIn(page, ADMIN, "not-the-password");
  await expect(page.getByRole("region", { name: "Log in to the console" }).getByRole("alert")).toHaveText("The user name or password is not right. Check both and try again.");
  await shot(page, "auth-02-login-failed");

  await page.getByLabel("Password").fill(ADMIN_PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/datastores$/);
  await expect(page.getByRole("heading", { name: "Datastores", level: 1 })).toBeVisible();
  const cookie = (await page.context().cookies()).find((c) => c.name === "CofferAuthCookie");
  expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict" });

  await page.getByRole("button", { name: `User menu for ${ADMIN}` }).click();
  await page.getByRole("menuitem", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto("/tasks");
  await expect(page).toHaveURL(/\/login\?next=%2Ftasks$/);
  await page.context().close();
});

test("the login page never sends the browser to another host (?next=/\\evil.example)", async ({ browser }) => {
  const page = await freshPage(browser);
  const left: string[] = [];
  page.on("request", (req) => {
    if (!req.url().startsWith(ORIGIN) && req.url() !== "about:blank") left.push(req.url());
  });
  for (const next of ["/%5Cevil.example", "//evil.example", "https://evil.example/"]) {
    await page.goto(`/login?next=${next}`);
    await logIn(page, ADMIN, ADMIN_PASSWORD);
    await expect(page).toHaveURL(`${ORIGIN}/datastores`);
    // Leave the page before logging out: a logged-out console page redirects itself to the
    // login page, and that navigation would race the next goto.
    await page.goto("about:blank");
    await page.context().clearCookies();
  }
  expect(left).toEqual([]);
  await page.context().close();
});

test("admin pages: users, API tokens, permissions", async ({ page }) => {
  await page.goto("/admin/users");
  await expect(page.getByRole("cell", { name: /admin@pbs/ })).toBeVisible();
  await page.getByRole("button", { name: "Add user" }).click();
  const add = page.getByRole("dialog", { name: "Add user" });
  await add.getByLabel("User name").fill(READER);
  await add.getByLabel("Password", { exact: true }).fill(READER_PASSWORD);
  await add.getByLabel("Confirm password").fill(READER_PASSWORD);
  await add.getByRole("button", { name: "Add", exact: true }).click();
  await expect(add).toBeHidden();
  await expect(page.getByRole("cell", { name: READER })).toBeVisible();
  await shot(page, "auth-03-users");

  await page.goto("/admin/permissions");
  await page.getByRole("button", { name: "Add permission" }).click();
  const perm = page.getByRole("dialog", { name: "Add permission" });
  await perm.getByLabel("Path", { exact: true }).fill(`/datastore/${STORE}`);
  await perm.getByLabel("User or token").selectOption(READER);
  await perm.getByLabel("Role").selectOption("DatastoreReader");
  await perm.getByRole("button", { name: "Add", exact: true }).click();
  await expect(perm).toBeHidden();
  await expect(page.getByRole("row", { name: new RegExp(`/datastore/${STORE} ${READER} DatastoreReader Yes`) })).toBeVisible();
  await shot(page, "auth-04-permissions");

  await page.goto("/admin/tokens");
  await page.getByRole("button", { name: "Add token" }).click();
  const tok = page.getByRole("dialog", { name: "Add API token" });
  await tok.getByLabel("Token name").fill("e2e");
  await tok.getByRole("button", { name: "Add", exact: true }).click();
  const shown = page.getByRole("dialog", { name: "API token admin@pbs!e2e" });
  const secret = (await shown.getByTestId("token-secret").textContent())!;
  expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
  await shot(page, "auth-05-token-secret");
  // The secret works from a script (no cookie, no Origin); what it may do depends on its own ACL entries.
  await shown.getByRole("button", { name: "Done" }).click();
  const res = await fetch(`${ORIGIN}/api/trpc/auth.whoami`, { headers: { authorization: `PBSAPIToken=admin@pbs!e2e:${secret}` } });
  expect((await res.json()).result.data).toEqual({ authId: "admin@pbs!e2e", via: "token" });
  await expect(page.getByRole("cell", { name: "admin@pbs!e2e" })).toBeVisible();
});

test("a reader cannot move, and the API refuses when forced", async ({ browser }) => {
  const page = await freshPage(browser);
  await page.goto(`/datastores/${STORE}`);
  await logIn(page, READER, READER_PASSWORD);
  await expect(page).toHaveURL(new RegExp(`/datastores/${STORE}$`));
  await expect(page.getByRole("button", { name: `User menu for ${READER}` })).toBeVisible();
  // No admin sections for a reader.
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users" })).toHaveCount(0);

  const tree = page.getByRole("treegrid", { name: `Content of datastore ${STORE}` });
  const row = tree.getByRole("row", { name: /^Group ct\/101(?! in )/ });
  await expect(row).toBeVisible();
  await row.focus();
  await page.keyboard.press("Shift+F10");
  const menu = page.getByRole("menu");
  const move = menu.getByRole("menuitem", { name: /^Move Group/ });
  await expect(move).toBeDisabled();
  // Said once for every item it disables (a note at the top of the menu), and announced with each of them.
  const why = `needs Datastore.Modify (or Datastore.Prune as the owner) on /datastore/${STORE}`;
  await expect(menu).toContainText(new RegExp(`Prune, Move Group and Delete group: ${escapeRe(why)}`));
  expect((await menu.textContent())!.split(why).length - 1).toBe(1);
  await expect(move).toHaveAccessibleDescription(new RegExp(escapeRe(why)));
  await expect(menu.getByRole("menuitem", { name: /^Delete group/ })).toBeDisabled();
  await shot(page, "auth-06-reader-menu");
  await page.keyboard.press("Escape");

  // Forcing the API from the page: the server refuses, whatever the console shows.
  const refused = await page.evaluate(async (store) => {
    const res = await fetch("/api/trpc/move.startGroup", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ store, ns: "", group: { type: "ct", id: "101" }, targetNs: "archive" }),
    });
    const body = await res.json();
    return { status: res.status, code: body.error?.data?.code, message: body.error?.message };
  }, STORE);
  expect(refused).toEqual({
    status: 403,
    code: "FORBIDDEN",
    message: `permission check failed - missing Datastore.Modify|Datastore.Prune on /datastore/${STORE}`,
  });
  await page.context().close();
});
