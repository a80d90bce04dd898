/**
 * My account (issue 11.2): the admin adds a limited user (the confirm-password field catches a
 * mismatch beside itself) and a token for them (the dialog says a token has no permissions yet);
 * the limited user finds My account in the user menu and no admin pages that would fail, sees
 * their token and their sessions, changes their password (a wrong current one refused beside
 * the field, the other session ended, this one kept), and logs out everywhere.
 */
import { expect, test, type Browser, type Page } from "@playwright/test";
import { ORIGIN } from "./support/auth";
import { shot } from "./support/content";

const USER = "acct@pbs";
const PASSWORD = "acct-secret-1";
const NEW_PASSWORD = "acct-secret-2";
const TOKEN = "e2e-for-acct";

async function freshPage(browser: Browser, viewport = { width: 1440, height: 900 }): Promise<Page> {
  const context = await browser.newContext({ baseURL: ORIGIN, storageState: { cookies: [], origins: [] }, viewport });
  return context.newPage();
}

async function logIn(page: Page, user: string, password: string) {
  await page.goto("/login");
  await page.getByLabel("User name").fill(user);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/datastores$/);
}

test.describe.configure({ mode: "serial" });

test("Add user: a confirm password that differs is refused beside the field", async ({ page }) => {
  await page.goto("/admin/users");
  const opener = page.getByRole("button", { name: "Add user" });
  await opener.click();
  const add = page.getByRole("dialog", { name: "Add user" });
  await add.getByLabel("User name").fill(USER);
  await add.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await add.getByLabel("Confirm password").fill(`${PASSWORD}x`);
  await add.getByRole("button", { name: "Add", exact: true }).click();

  const confirm = add.getByLabel("Confirm password");
  await expect(confirm).toHaveAttribute("aria-invalid", "true");
  await expect(confirm).toHaveAccessibleDescription("The two passwords differ: type the same one twice.");
  await expect(add).toBeVisible();
  await shot(page, "account-01-add-user-mismatch");

  // A name the server cannot take says what is allowed, beside the name.
  await add.getByLabel("User name").fill("has space@pbs");
  await add.getByLabel("Password", { exact: true }).click();
  await expect(add.getByLabel("User name")).toHaveAccessibleDescription("User name: 1 to 64 characters, no spaces and none of : / @ !.");

  await add.getByLabel("User name").fill(USER);
  await confirm.fill(PASSWORD);
  await expect(confirm).not.toHaveAttribute("aria-invalid", "true");
  await add.getByRole("button", { name: "Add", exact: true }).click();
  await expect(add).toBeHidden();
  await expect(opener).toBeFocused();
  await expect(page.getByRole("cell", { name: USER, exact: true })).toBeVisible();
});

test("Add API token: says a token has no permissions yet, and an admin may make one for another user", async ({ page }) => {
  await page.goto("/admin/tokens");
  await page.getByRole("button", { name: "Add token" }).click();
  const dialog = page.getByRole("dialog", { name: "Add API token" });
  const hint = dialog.getByTestId("token-permission-hint");
  await expect(hint).toContainText("A new token has no permissions until it is granted some on the Permissions page");
  await expect(hint.getByRole("link", { name: "Permissions" })).toHaveAttribute("href", "/admin/permissions");

  // A name that breaks the rule is refused beside the field, and nothing is sent.
  await dialog.getByLabel("Token name").fill("-bad");
  await dialog.getByRole("button", { name: "Add", exact: true }).click();
  await expect(dialog.getByLabel("Token name")).toHaveAccessibleDescription(/^Token name: 1 to 64 characters/);

  await dialog.getByLabel("User", { exact: true }).selectOption(USER);
  await dialog.getByLabel("Token name").fill(TOKEN);
  await shot(page, "account-02-token-dialog");
  await dialog.getByRole("button", { name: "Add", exact: true }).click();
  const shown = page.getByRole("dialog", { name: `API token ${USER}!${TOKEN}` });
  await expect(shown.getByTestId("token-permission-hint")).toContainText(`${USER}!${TOKEN} has no permissions until it is granted some`);
  await shown.getByRole("button", { name: "Done" }).click();
  await expect(page.getByRole("cell", { name: `${USER}!${TOKEN}` })).toBeVisible();
});

test("a limited user: My account, their token, sessions, password change, log out everywhere", async ({ browser }) => {
  // Two browsers, four logins (each a scrypt hash) on a shared, loaded machine: more than 30 s.
  test.slow();
  const page = await freshPage(browser);
  await logIn(page, USER, PASSWORD);
  // A second browser of the same user: a session to see and to end.
  const other = await freshPage(browser);
  await logIn(other, USER, PASSWORD);
  // Off the console: a console page whose session ends sends itself to the login page, which
  // would race this test's own navigation there.
  await other.goto("about:blank");

  // Only what this user can use: no Users or Permissions in the header, no all-tokens page.
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Datastores" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Users" })).toHaveCount(0);
  await expect(nav.getByRole("link", { name: "Permissions" })).toHaveCount(0);
  await page.getByRole("button", { name: `User menu for ${USER}` }).click();
  await expect(page.getByRole("menuitem", { name: "API tokens of all users" })).toHaveCount(0);
  await page.getByRole("menuitem", { name: "My account" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole("heading", { name: "My account", level: 1 })).toBeVisible();

  // Their token, made by the admin.
  await expect(page.getByRole("cell", { name: `${USER}!${TOKEN}` })).toBeVisible();

  // Two sessions, this one marked.
  const sessions = page.getByRole("table", { name: "Sessions" });
  await expect(sessions.getByRole("row")).toHaveCount(3);
  await expect(sessions.getByRole("row", { name: /This session/ })).toHaveCount(1);
  await shot(page, "account-03-my-account");
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, "account-03-my-account-390");
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.emulateMedia({ colorScheme: "dark" });
  await shot(page, "account-03-my-account-dark");
  await page.emulateMedia({ colorScheme: "light" });

  // A wrong current password: refused beside the field, nothing changes.
  const current = page.getByLabel("Current password");
  await current.fill("not-my-password");
  await page.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
  await page.getByLabel("Confirm new password").fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(current).toHaveAccessibleDescription("The current password is not right.");
  await shot(page, "account-04-wrong-current-password");
  // Typing again clears the stale refusal.
  await current.fill(PASSWORD);
  await expect(current).not.toHaveAttribute("aria-invalid", "true");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Password changed" })).toBeVisible();

  // The other browser's session has ended; this one goes on, and is the only one listed.
  await expect(sessions.getByRole("row")).toHaveCount(2);
  await expect(sessions.getByRole("row", { name: /This session/ })).toHaveCount(1);
  await other.goto("/account");
  await expect(other).toHaveURL(/\/login\?next=%2Faccount$/);
  await page.reload();
  await expect(page.getByRole("heading", { name: "My account", level: 1 })).toBeVisible();

  // A new login elsewhere, then log out everywhere: both end.
  await logIn(other, USER, NEW_PASSWORD);
  await other.goto("about:blank");
  await page.reload();
  await expect(sessions.getByRole("row")).toHaveCount(3);
  const opener = page.getByRole("button", { name: "Log out everywhere" });
  await opener.click();
  const confirm = page.getByRole("dialog", { name: "Log out everywhere" });
  await expect(confirm).toBeVisible();
  await shot(page, "account-05-logout-everywhere");
  await confirm.getByRole("button", { name: "Log out everywhere" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await other.goto("/datastores");
  await expect(other).toHaveURL(/\/login\?next=%2Fdatastores$/);
  await page.goto("/account");
  await expect(page).toHaveURL(/\/login\?next=%2Faccount$/);

  await page.context().close();
  await other.context().close();
});

test("a limited user who opens an admin page gets what it needs, not an error", async ({ browser }) => {
  const page = await freshPage(browser);
  await logIn(page, USER, NEW_PASSWORD);
  await page.goto("/admin/users");
  await expect(page.getByRole("status").filter({ hasText: "You may not see the users" })).toContainText(
    "It needs Sys.Audit or Permissions.Modify on /access/users",
  );
  await expect(page.getByRole("main").getByRole("alert")).toHaveCount(0);
  await page.goto("/admin/permissions");
  await expect(page.getByRole("status").filter({ hasText: "You may not see the permissions" })).toBeVisible();
  await expect(page.getByRole("main").getByRole("alert")).toHaveCount(0);
  await shot(page, "account-06-no-permissions-page");
  await page.context().close();
});
