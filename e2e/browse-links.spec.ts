/**
 * Journeys of issue 11: a user whose role starts at /datastore/demo/prod browses down to it and
 * sees a summary of what she may see (11.1); the search box finds groups in collapsed and deep
 * namespaces and says where they live (11.5); the address bar names the focused row, so reload,
 * a pasted link and back/forward come back to it, with the search and the open rows (11.6).
 */
import { expect, test, type Browser, type Page } from "@playwright/test";
import { ORIGIN } from "./support/auth";
import { STORE, mutate, shot } from "./support/content";

const SCOPED = "scoped@pbs";
const SCOPED_PASSWORD = "scoped-secret";

async function logInAs(browser: Browser, user: string, password: string, url: string): Promise<Page> {
  const context = await browser.newContext({ baseURL: ORIGIN, storageState: { cookies: [], origins: [] } });
  const page = await context.newPage();
  await page.goto(url);
  await page.getByLabel("User name").fill(user);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  return page;
}

const tree = (page: Page) => page.getByRole("treegrid", { name: `Content of datastore ${STORE}` });
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
/** The row of namespace `ns` (its accessible name starts with "Namespace <ns>", then its cells). */
const nsRow = (page: Page, ns: string) => tree(page).getByRole("row", { name: new RegExp(`^Namespace ${escapeRe(ns)}(?![\\w/.-])`) });

test("a user with a role on one namespace browses down to it, without errors", async ({ browser, request }) => {
  await mutate(request, "user.create", { userid: SCOPED, password: SCOPED_PASSWORD });
  await mutate(request, "acl.update", { path: `/datastore/${STORE}/prod`, authId: SCOPED, role: "DatastoreReader" });

  const page = await logInAs(browser, SCOPED, SCOPED_PASSWORD, `/datastores/${STORE}`);
  await expect(page).toHaveURL(new RegExp(`/datastores/${STORE}$`));
  const prod = nsRow(page, "prod");
  await expect(prod).toBeVisible();
  // Nothing outside prod, and no red errors.
  await expect(nsRow(page, "dev")).toHaveCount(0);
  await expect(tree(page).getByRole("row", { name: /^Group ct\/101/ })).toHaveCount(0);
  await expect(page.getByText(/Could not|permission check failed/)).toHaveCount(0);
  await prod.getByRole("button", { name: "Namespace prod", exact: true }).click();
  await expect(tree(page).getByRole("row", { name: /^Group vm\/200 in prod/ })).toBeVisible();
  await shot(page, "scoped-01-content");

  await page.goto(`/datastores/${STORE}/summary`);
  const content = page.getByRole("region", { name: "Your content" });
  await expect(content).toContainText("Counted in the namespaces you have access to: prod and below");
  await expect(page.getByText(/Could not|permission check failed/)).toHaveCount(0);
  await shot(page, "scoped-02-summary");
  await page.context().close();
});

test("the search covers the whole datastore and shows where each hit lives", async ({ page }) => {
  await page.goto(`/datastores/${STORE}`);
  await expect(nsRow(page, "prod")).toBeVisible();
  // Nothing is expanded: prod/eu/db is three levels down, collapsed.
  await page.getByRole("searchbox", { name: "Search namespaces and groups" }).fill("postgresql");
  await expect(page.getByRole("status").filter({ hasText: "2 matches in the whole datastore" })).toBeVisible();
  const hit = tree(page).getByRole("row", { name: /^Group vm\/400 in prod\/eu\/db/ });
  await expect(hit).toContainText("in prod/eu/db");
  await expect(tree(page).getByRole("row")).toHaveCount(3); // header + 2 hits
  await expect(page).toHaveURL(/[?&]q=postgresql/);
  await shot(page, "search-01-hits");

  // A namespace matches by name; "Show in tree" opens the tree down to it.
  await page.getByRole("searchbox", { name: "Search namespaces and groups" }).fill("db");
  const ns = nsRow(page, "prod/eu/db");
  await expect(ns).toBeVisible();
  await ns.getByRole("link", { name: "Show namespace prod/eu/db in the tree" }).click();
  await expect(page).toHaveURL(new RegExp(`/datastores/${STORE}\\?ns=prod/eu/db$`));
  await expect(page.getByRole("searchbox", { name: "Search namespaces and groups" })).toHaveValue("");
  const row = nsRow(page, "prod/eu/db");
  await expect(row).toBeFocused();
  await expect(tree(page).getByRole("row", { name: /^Group vm\/401 in prod\/eu\/db/ })).toBeVisible();

  // An empty search says so once, not once per namespace.
  await page.getByRole("searchbox", { name: "Search namespaces and groups" }).fill("no-such-thing-anywhere");
  await expect(page.getByText("No namespace or group matches 'no-such-thing-anywhere'.")).toHaveCount(1);
});

test("deep links: a snapshot link opens down to it; reload and back/forward keep the place and the open rows", async ({ page }) => {
  const snapshots = await page.request.get(
    `/api/trpc/snapshot.list?input=${encodeURIComponent(JSON.stringify({ store: STORE, ns: "prod/eu", group: { type: "vm", id: "300" }, limit: 1 }))}`,
  );
  const newest = (await snapshots.json()).result.data.items[0]["backup-time"] as number;
  const time = new Date(newest * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

  await page.goto(`/datastores/${STORE}?ns=prod/eu&group=vm/300&time=${time}`);
  const snap = tree(page).getByRole("row", { name: new RegExp(`^Snapshot .*${time.slice(0, 10)}`) }).first();
  await expect(snap).toBeFocused();
  await expect(nsRow(page, "prod")).toHaveAttribute("aria-expanded", "true");
  await shot(page, "links-01-snapshot");

  // Moving the focus rewrites the link; a reload comes back to the same row with the same rows open.
  await page.keyboard.press("ArrowUp");
  await expect(page).toHaveURL(new RegExp(`\\?ns=prod/eu&group=vm/300$`));
  await nsRow(page, "dev").getByRole("button", { name: "Namespace dev", exact: true }).click();
  await expect(tree(page).getByRole("row", { name: /^Group vm\/600 in dev/ })).toBeVisible();
  await expect(page).toHaveURL(/\?ns=dev$/);
  await page.reload();
  await expect(nsRow(page, "dev")).toBeFocused();
  await expect(tree(page).getByRole("row", { name: /^Group vm\/600 in dev/ })).toBeVisible();
  await expect(tree(page).getByRole("row", { name: /^Group vm\/300 in prod\/eu/ })).toBeVisible();

  // Away and back: the place and the open rows are still there.
  await page.getByRole("searchbox", { name: "Search namespaces and groups" }).fill("nginx");
  await expect(page).toHaveURL(/q=nginx/);
  await page.goto("/tasks");
  await page.goBack();
  await expect(page.getByRole("searchbox", { name: "Search namespaces and groups" })).toHaveValue("nginx");
  await expect(tree(page).getByRole("row", { name: /^Group vm\/201 in prod/ })).toBeVisible();

  // A broken link says what is wrong and shows the datastore.
  await page.goto(`/datastores/${STORE}?ns=a//b`);
  await expect(page.getByText(/This link names no valid place in the datastore/)).toBeVisible();
  await page.goto(`/datastores/${STORE}?ns=prod&group=vm/999`);
  await expect(page.getByText("The linked group vm/999 in prod is not in this datastore (any more), or you may not see it.")).toBeVisible();
});
