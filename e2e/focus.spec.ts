/**
 * Keyboard focus after a dialog: Escape or Cancel hands it back to the control that opened the
 * dialog, a button or (for a dialog opened from a row's menu) the menu's button, not <body>.
 */
import { expect, test } from "@playwright/test";
import { STORE } from "./support/content";

test("closing a dialog returns the focus to what opened it, also from a row menu", async ({ page }) => {
  await page.goto(`/datastores/${STORE}`);

  // A button: Maintenance mode…, closed with Escape.
  const maintenance = page.getByRole("button", { name: "Maintenance mode…" });
  await maintenance.focus();
  await page.keyboard.press("Enter");
  const mode = page.getByRole("dialog", { name: "Maintenance Mode" });
  await expect(mode).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(mode).toBeHidden();
  await expect(maintenance).toBeFocused();

  // A row menu: Create namespace, closed with Cancel.
  const tree = page.getByRole("treegrid", { name: `Content of datastore ${STORE}` });
  const actions = tree.getByRole("button", { name: "Actions for namespace dev", exact: true });
  await tree.getByRole("button", { name: "Namespace dev", exact: true }).click();
  await actions.click();
  await page.getByRole("menuitem", { name: "Create namespace" }).click();
  const create = page.getByRole("dialog", { name: /Create namespace/i });
  await expect(create).toBeVisible();
  await create.getByRole("button", { name: "Cancel" }).click();
  await expect(create).toBeHidden();
  await expect(actions).toBeFocused();

  // The same menu, by keyboard, closed with Escape.
  await page.keyboard.press("Enter");
  await page.getByRole("menuitem", { name: "Create namespace" }).press("Enter");
  await expect(create).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(create).toBeHidden();
  await expect(actions).toBeFocused();
});
