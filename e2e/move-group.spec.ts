/**
 * Journey: move a group to another namespace through the Move Group dialog, with the keyboard:
 * open the row's actions (Shift+F10), pick Move Group, type the target, read the Preview, Move,
 * follow the task in the Task Viewer to TASK OK, and find the group at its new place.
 */
import { expect, test } from "@playwright/test";
import { STORE, escapeRe, query, shot } from "./support/content";

test("move a group to another namespace", async ({ page, request }) => {
  const groups = await query<{ items: { "backup-id": string; "backup-type": string }[] }>(request, "group.list", { store: STORE, ns: "" });
  expect(groups.items.map((g) => `${g["backup-type"]}/${g["backup-id"]}`)).toContain("ct/101");

  await page.goto(`/datastores/${STORE}`);
  const tree = page.getByRole("treegrid", { name: `Content of datastore ${STORE}` });
  const row = tree.getByRole("row", { name: /^Group ct\/101(?! in )/ });
  await expect(row).toBeVisible();

  // The row's actions, by keyboard.
  await row.focus();
  await page.keyboard.press("Shift+F10");
  const menu = page.getByRole("menu");
  await expect(menu.getByRole("menuitem", { name: "Move Group" })).toBeVisible();
  await shot(page, "move-group-01-menu");
  await page.keyboard.press("m");
  await expect(menu.getByRole("menuitem", { name: "Move Group" })).toBeFocused();
  await page.keyboard.press("Enter");

  const dialog = page.getByRole("dialog", { name: /^Move Group ct\/101/ });
  await expect(dialog).toBeVisible();
  const target = dialog.getByLabel("Target namespace");
  await expect(target).toBeFocused();
  // Nothing is chosen for the user: no target, no preview, no Move.
  await expect(target).toHaveValue("");
  await expect(dialog.getByRole("region", { name: "Preview" })).toContainText("Choose the target namespace to see what would happen.");
  await expect(dialog.getByRole("button", { name: "Move", exact: true })).toBeDisabled();
  await expect(dialog.getByLabel("Merge group")).toBeChecked();

  // Checked at the field before any request, saying what is allowed.
  await target.fill("bad name");
  await expect(dialog.getByText("'bad name' is not a valid name: use letters, digits, _ . - (not starting with . or -), at most 32 characters.")).toBeVisible();
  await expect(dialog.getByRole("button", { name: "Move", exact: true })).toBeDisabled();

  // A target that does not exist: the preview says why the move would be refused.
  await target.fill("nowhere");
  const preview = dialog.getByRole("region", { name: "Preview" });
  await expect(preview).toContainText("target namespace 'nowhere' does not exist");
  await expect(dialog.getByRole("button", { name: "Move", exact: true })).toBeDisabled();

  await target.fill("archive");
  await expect(preview).toContainText("1 group will move.");
  await expect(preview.getByRole("row", { name: /ct\/101 Root archive 3 Move/ })).toBeVisible();
  const move = dialog.getByRole("button", { name: "Move", exact: true });
  await expect(move).toBeEnabled();
  await shot(page, "move-group-02-dialog");
  await move.click();

  const viewer = page.getByRole("dialog", { name: /Task Viewer/ });
  await expect(viewer).toBeVisible();
  await expect(viewer).toContainText("moving group 'ct/101' from '' to 'archive'");
  await expect(viewer).toContainText("TASK OK");
  await shot(page, "move-group-03-task");
  await page.keyboard.press("Escape");
  await expect(viewer).toBeHidden();

  // The tree reloaded when the task ended: the group is in archive, not in the root.
  await expect(tree.getByRole("row", { name: /^Group ct\/101(?! in )/ })).toHaveCount(0);
  await tree.getByRole("button", { name: "Namespace archive", exact: true }).click();
  await expect(tree.getByRole("row", { name: new RegExp(`^${escapeRe("Group ct/101 in archive")}`) })).toBeVisible();
  await shot(page, "move-group-04-moved");
});
