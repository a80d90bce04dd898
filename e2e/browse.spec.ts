/**
 * Smoke journey: open the console, find the demo datastore, browse its content tree through
 * namespaces three levels deep down to snapshots, and see the states that matter to an admin
 * (protected, unfinished, empty group). Where to look is found through the API, so the test does
 * not hard-code the demo's names; what the user sees is checked through roles and names.
 */
import { expect, test, type APIRequestContext, type Locator, type Page } from "@playwright/test";

const STORE = "demo";

interface Ns {
  ns: string;
}
interface Group {
  "backup-type": string;
  "backup-id": string;
  "backup-count": number;
}
interface Snapshot {
  "backup-time": number;
  protected: boolean;
  finished: boolean;
  size?: number;
}
interface Place {
  ns: string;
  group: Group;
  snapshots: Snapshot[];
}

async function api<T>(request: APIRequestContext, procedure: string, input: unknown): Promise<T> {
  const res = await request.get(`/api/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}`);
  expect(res.ok(), `${procedure} answered ${res.status()}`).toBe(true);
  return (await res.json()).result.data as T;
}

/** Every group of the demo store with its snapshots, to know where to look. */
async function survey(request: APIRequestContext): Promise<{ namespaces: string[]; places: Place[] }> {
  const namespaces = (await api<Ns[]>(request, "namespace.list", { store: STORE })).map((n) => n.ns);
  const places: Place[] = [];
  for (const ns of namespaces) {
    for (const group of (await api<{ items: Group[] }>(request, "group.list", { store: STORE, ns, limit: 1000 })).items) {
      const ref = { type: group["backup-type"], id: group["backup-id"] };
      const snapshots = (await api<{ items: Snapshot[] }>(request, "snapshot.list", { store: STORE, ns, group: ref, limit: 1000 })).items;
      places.push({ ns, group, snapshots });
    }
  }
  return { namespaces, places };
}

const groupName = (g: Group) => `${g["backup-type"]}/${g["backup-id"]}`;
const inNs = (ns: string) => (ns === "" ? "" : ` in ${ns}`);
const utc = (epoch: number) => new Date(epoch * 1000).toISOString().slice(0, 19).replace("T", " ");
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Expands every namespace on the way to `ns` (and `ns` itself). */
async function expandNamespace(tree: Locator, ns: string) {
  if (ns === "") return;
  const parts = ns.split("/");
  for (let i = 1; i <= parts.length; i++) {
    const toggle = tree.getByRole("button", { name: `Namespace ${parts.slice(0, i).join("/")}`, exact: true });
    if ((await toggle.getAttribute("aria-expanded")) === "false") await toggle.click();
    await expect(toggle).toHaveAttribute("aria-expanded", "true");
  }
}

/**
 * Rows are named for their item first: `Group vm/100 in a/b ...`, `Snapshot vm/100 <time> ...`.
 * The lookahead keeps `Group vm/100` (root) from matching `Group vm/100 in a`.
 */
function itemRow(tree: Locator, itemName: string) {
  return tree.getByRole("row", { name: new RegExp(`^${escape(itemName)}(?! in )(\\s|$)`) });
}

function groupToggle(tree: Locator, ns: string, g: Group) {
  return tree.getByRole("button", { name: `Group ${groupName(g)}${inNs(ns)}`, exact: true });
}

function snapshotRow(tree: Locator, ns: string, g: Group, s: Snapshot) {
  return itemRow(tree, `Snapshot ${groupName(g)} ${utc(s["backup-time"])}${inNs(ns)}`);
}

async function openGroup(tree: Locator, place: Place) {
  await expandNamespace(tree, place.ns);
  const toggle = groupToggle(tree, place.ns, place.group);
  if ((await toggle.getAttribute("aria-expanded")) === "false") await toggle.click();
  await expect(toggle).toHaveAttribute("aria-expanded", "true");
}

async function shot(page: Page, name: string) {
  await page.screenshot({ path: `test-results/screenshots/${name}.png`, fullPage: true });
}

test("browse the demo datastore down to its snapshots", async ({ page, request }) => {
  const { namespaces, places } = await survey(request);

  await page.goto("/");
  await expect(page).toHaveURL(/\/datastores$/);
  await expect(page.getByRole("banner")).toContainText("Coffer");
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Datastores" })).toBeVisible();
  const list = page.getByRole("table", { name: "Configured datastores" });
  await expect(list.getByRole("row", { name: new RegExp(`^${STORE}(\\s|$)`) })).toBeVisible();
  await shot(page, "01-datastores");

  await list.getByRole("link", { name: STORE, exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/datastores/${STORE}$`));
  await expect(page.getByRole("heading", { level: 1, name: STORE })).toBeVisible();
  const breadcrumb = page.getByRole("navigation", { name: "Breadcrumb" });
  await expect(breadcrumb.getByRole("link", { name: "Datastores" })).toBeVisible();
  const tree = page.getByRole("treegrid", { name: `Content of datastore ${STORE}` });
  await expect(tree).toBeVisible();
  await shot(page, "02-content-top");

  // Namespaces, three levels deep.
  const deep = namespaces.find((ns) => ns.split("/").length >= 3);
  expect(deep, "the demo store has a namespace three levels deep").toBeDefined();
  const deep3 = deep!.split("/").slice(0, 3).join("/");
  await expandNamespace(tree, deep3);
  await expect(itemRow(tree, `Namespace ${deep3}`)).toHaveAttribute("aria-level", "3");
  await expect(tree.locator('[role="row"][aria-level="4"]').first()).toBeVisible();
  await shot(page, "03-namespaces-deep");

  // Groups of every backup type.
  for (const type of ["vm", "ct", "host"]) {
    const place = places.find((p) => p.group["backup-type"] === type);
    expect(place, `the demo store has a ${type} group`).toBeDefined();
    await expandNamespace(tree, place!.ns);
    await expect(itemRow(tree, `Group ${groupName(place!.group)}${inNs(place!.ns)}`)).toBeVisible();
  }

  // A group's snapshots, with their times and sizes.
  const busy = places.find((p) => p.snapshots.filter((s) => s.finished).length >= 2)!;
  expect(busy).toBeDefined();
  await openGroup(tree, busy);
  for (const s of busy.snapshots.filter((x) => x.finished)) {
    await expect(snapshotRow(tree, busy.ns, busy.group, s)).toContainText(/\d+(\.\d)? (B|KiB|MiB|GiB|TiB)/);
  }
  await shot(page, "04-group-snapshots");

  // A protected snapshot is marked.
  const prot = places.find((p) => p.snapshots.some((s) => s.protected))!;
  expect(prot, "the demo store has a protected snapshot").toBeDefined();
  await openGroup(tree, prot);
  await expect(snapshotRow(tree, prot.ns, prot.group, prot.snapshots.find((s) => s.protected)!)).toContainText("Protected");

  // The empty group is shown, as a leaf.
  const empty = places.find((p) => p.group["backup-count"] === 0)!;
  expect(empty, "the demo store has an empty group").toBeDefined();
  await expandNamespace(tree, empty.ns);
  const emptyRow = itemRow(tree, `Group ${groupName(empty.group)}${inNs(empty.ns)}`);
  await expect(emptyRow).toBeVisible();
  await expect(emptyRow).toContainText("Empty");
  await expect(emptyRow).not.toHaveAttribute("aria-expanded");

  // The unfinished snapshot is marked.
  const unfinished = places.find((p) => p.snapshots.some((s) => !s.finished))!;
  expect(unfinished, "the demo store has an unfinished snapshot").toBeDefined();
  await openGroup(tree, unfinished);
  const unfinishedRow = snapshotRow(tree, unfinished.ns, unfinished.group, unfinished.snapshots.find((s) => !s.finished)!);
  await expect(unfinishedRow).toContainText("Unfinished");
  await unfinishedRow.scrollIntoViewIfNeeded();
  await shot(page, "05-marked-snapshots");
});

test("the content tree works with the keyboard", async ({ page, request }) => {
  const namespaces = (await api<Ns[]>(request, "namespace.list", { store: STORE })).map((n) => n.ns);
  const parent = namespaces.find((ns) => ns !== "" && !ns.includes("/") && namespaces.some((c) => c.startsWith(`${ns}/`)))!;

  await page.goto(`/datastores/${STORE}`);
  const tree = page.getByRole("treegrid", { name: `Content of datastore ${STORE}` });
  const row = itemRow(tree, `Namespace ${parent}`);
  await expect(row).toBeVisible();

  await row.focus();
  await expect(row).toHaveAttribute("aria-expanded", "false");
  await page.keyboard.press("ArrowRight");
  await expect(row).toHaveAttribute("aria-expanded", "true");
  await page.keyboard.press("ArrowRight");
  const firstChild = tree.locator(':focus');
  await expect(firstChild).toHaveAttribute("aria-level", "2");
  await page.keyboard.press("ArrowLeft");
  await expect(row).toBeFocused();
  await page.keyboard.press("ArrowLeft");
  await expect(row).toHaveAttribute("aria-expanded", "false");
  await page.keyboard.press("ArrowDown");
  await expect(row).not.toBeFocused();
  await page.keyboard.press("Home");
  await expect(tree.locator('[role="row"][data-key]').first()).toBeFocused();

  // The tree is one Tab stop: Tab from the filter bar lands on the row that had the focus.
  await page.getByRole("checkbox", { name: "Descending" }).focus();
  await page.keyboard.press("Tab");
  await expect(tree.locator('[role="row"][data-key]').first()).toBeFocused();
  await page.emulateMedia({ colorScheme: "dark" });
  await shot(page, "06-dark");
});

test("a datastore that does not exist says so", async ({ page }) => {
  await page.goto("/datastores/no-such-store");
  await expect(page.getByRole("alert").first()).toContainText("no-such-store");
});
