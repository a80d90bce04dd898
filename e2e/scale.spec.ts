/**
 * Scale: a namespace with 10,000 groups and a group with 5,000 snapshots in the content tree.
 * The tree renders only the rows in view (windowing), loads a page of 100 per screenful, and
 * the keyboard's End reaches the last group and the oldest snapshot. The store is built for this
 * spec (e2e/support/build-big.ts), next to the demo store, so the other journeys are unaffected.
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { expect, test, type Locator, type Page } from "@playwright/test";
import { escapeRe } from "./support/content";

const STORE = "scale";
/** The oldest snapshot of vm/10000 (BIG_T0 in big-namespace.ts), as the tree shows it. */
const OLDEST = "2023-11-14 22:13:20";

test.beforeAll(() => {
  const out = execFileSync(process.execPath, ["--import", "tsx", path.resolve("e2e/support/build-big.ts"), STORE], {
    env: { ...process.env, COFFER_HOME: process.env.COFFER_E2E_HOME },
    encoding: "utf8",
    timeout: 60_000,
  });
  console.info(out.trim());
});

const row = (tree: Locator, name: string) => tree.getByRole("row", { name: new RegExp(`^${escapeRe(name)}(\\s|$)`) });
const rowCount = (tree: Locator) => tree.getByRole("row").count();
/** The viewport only: a full-page capture of this tree takes seconds and may fail. */
const shot = (page: Page, name: string) => page.screenshot({ path: `test-results/screenshots/${name}.png` });

test("a namespace with 10,000 groups and a group with 5,000 snapshots stay windowed and reachable", async ({ page }) => {
  const t0 = Date.now();
  const mark = (what: string) => console.info(`${what}: ${Date.now() - t0} ms`);
  await page.goto(`/datastores/${STORE}`);
  const tree = page.getByRole("treegrid", { name: `Content of datastore ${STORE}` });
  const big = tree.getByRole("button", { name: "Namespace big", exact: true });
  await big.click();
  await expect(big).toHaveAttribute("aria-expanded", "true");

  // The first groups are shown; the rows of 10,000 are not all in the DOM.
  const first = row(tree, "Group vm/1 in big");
  await expect(first).toBeVisible();
  await expect(row(tree, "Group vm/2 in big")).toBeVisible();
  await expect(first).toHaveAttribute("aria-setsize", "10000");
  const rowsAtTop = await rowCount(tree);
  console.info(`rows in the DOM with 10,000 groups listed: ${rowsAtTop}`);
  expect(rowsAtTop).toBeLessThan(400);
  mark("first groups shown");
  await shot(page, "scale-01-groups-top");

  // End: the last group, whose page is loaded when it scrolls into view.
  await first.focus();
  await page.keyboard.press("End");
  const last = row(tree, "Group vm/10000 in big");
  await expect(last).toBeVisible();
  await expect(last).toHaveAttribute("aria-posinset", "10000");
  await expect(last).toContainText("5000");
  await expect(last).toBeFocused();
  await expect(row(tree, "Group vm/9999 in big")).toBeVisible();
  await expect(first).toHaveCount(0);
  expect(await rowCount(tree)).toBeLessThan(400);
  mark("last group shown");
  await shot(page, "scale-02-groups-end");

  // Its 5,000 snapshots, newest first, windowed too; End reaches the oldest.
  await tree.getByRole("button", { name: "Group vm/10000 in big", exact: true }).click();
  const newest = tree.getByRole("row", { name: /^Snapshot vm\/10000 .* in big/ }).first();
  await expect(newest).toBeVisible();
  await expect(newest).toHaveAttribute("aria-setsize", "5000");
  await expect(newest).toHaveAttribute("aria-posinset", "1");
  const rowsWithSnapshots = await rowCount(tree);
  console.info(`rows in the DOM with 5,000 snapshots listed: ${rowsWithSnapshots}`);
  expect(rowsWithSnapshots).toBeLessThan(400);
  mark("snapshots shown");
  await newest.scrollIntoViewIfNeeded();
  await shot(page, "scale-03-snapshots-top");

  await newest.focus();
  await page.keyboard.press("End");
  const oldest = row(tree, `Snapshot vm/10000 ${OLDEST} in big`);
  await expect(oldest).toBeVisible();
  await expect(oldest).toHaveAttribute("aria-posinset", "5000");
  await expect(oldest).toBeFocused();
  expect(await rowCount(tree)).toBeLessThan(400);
  mark("oldest snapshot shown");
  await shot(page, "scale-04-snapshots-end");
});

test("a link to the oldest of 5,000 snapshots in the last of 10,000 groups loads the pages it is on", async ({ page }) => {
  await page.goto(`/datastores/${STORE}?ns=big&group=vm/10000&time=${OLDEST.replace(" ", "T")}Z`);
  const tree = page.getByRole("treegrid", { name: `Content of datastore ${STORE}` });
  const oldest = row(tree, `Snapshot vm/10000 ${OLDEST} in big`);
  await expect(oldest).toBeFocused();
  await expect(oldest).toHaveAttribute("aria-posinset", "5000");
  expect(await rowCount(tree)).toBeLessThan(400);
  await shot(page, "scale-03-deep-link");
});
