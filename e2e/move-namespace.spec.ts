/**
 * Journey: move a namespace with the Move Namespace dialog: type a target, see the Preview with
 * the namespaces to create and a merge conflict with its reason (a group of the same id already
 * at the target, owned by someone else), change an option and see the preview follow, Move, and
 * follow the task, which moves what it can and names what it could not.
 */
import { expect, test } from "@playwright/test";
import { STORE, escapeRe, mutate, shot, writeSnapshot } from "./support/content";

test("move a namespace, seeing a merge conflict in the preview", async ({ page, request }) => {
  // The conflict: archive/ci/ct/700 owned by alice@pbs, while dev/ci/ct/700 is backup@pbs!nightly's.
  await mutate(request, "namespace.create", { store: STORE, parent: "archive", name: "ci" });
  writeSnapshot("archive/ci", "ct/700", 1_000_000_000, "alice@pbs");

  await page.goto(`/datastores/${STORE}`);
  const tree = page.getByRole("treegrid", { name: `Content of datastore ${STORE}` });
  await tree.getByRole("button", { name: "Namespace dev", exact: true }).click();
  const planRequests: string[] = [];
  page.on("request", (r) => {
    if (r.url().includes("move.planNamespace")) planRequests.push(r.url());
  });
  await tree.getByRole("button", { name: "Actions for namespace dev/ci" }).click();
  await page.getByRole("menuitem", { name: "Move Namespace" }).click();

  const dialog = page.getByRole("dialog", { name: /^Move Namespace dev\/ci/ });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByLabel("Max depth")).toHaveValue("");
  await expect(dialog.getByLabel("Delete source")).toBeChecked();
  await expect(dialog.getByLabel("Merge groups")).toBeChecked();
  const target = dialog.getByLabel("Target namespace");
  // It starts empty, without an error and without asking the server for a plan.
  await expect(target).toHaveValue("");
  await expect(dialog.getByRole("region", { name: "Preview" })).toContainText("Enter the target namespace to see what would happen.");
  await expect(dialog.locator(".field__error")).toHaveCount(0);
  await target.fill("dev/ci");
  await expect(dialog.getByText("the target is the namespace itself")).toBeVisible();
  expect(planRequests, "no preview request while the target is empty or invalid").toEqual([]);

  await target.fill("archive/ci");
  const preview = dialog.getByRole("region", { name: "Preview" });
  await expect(preview).toContainText("1 group will move; 1 group cannot move and will stay where it is.");
  const conflict = preview.getByRole("row", { name: /ct\/700/ });
  await expect(conflict).toContainText("Conflict");
  await expect(conflict).toContainText("owner mismatch (source: backup@pbs!nightly, target: alice@pbs)");
  await expect(preview.getByRole("row", { name: /ct\/701/ })).toContainText("Move");
  await expect(preview).toContainText("Source namespace kept: dev/ci (contains group(s) that cannot be moved)");
  await expect(preview).toContainText("Depth check: ok");
  await shot(page, "move-namespace-01-conflict");

  // Without merging, ct/700 is refused for another reason, and the preview follows.
  await dialog.getByLabel("Merge groups").uncheck();
  await expect(preview).toContainText("merging is disabled");
  await dialog.getByLabel("Merge groups").check();
  await expect(conflict).toContainText("owner mismatch");

  const move = dialog.getByRole("button", { name: "Move", exact: true });
  await expect(move).toBeEnabled();
  await move.click();

  const viewer = page.getByRole("dialog", { name: /Task Viewer/ });
  await expect(viewer).toBeVisible();
  await expect(viewer).toContainText("owner mismatch");
  await expect(viewer).toContainText("TASK ERROR: namespace move partially completed");
  await shot(page, "move-namespace-02-task");
  await page.keyboard.press("Escape");

  // What moved is at the target; the refused group stayed at the source.
  await tree.getByRole("button", { name: "Namespace archive", exact: true }).click();
  await tree.getByRole("button", { name: "Namespace archive/ci", exact: true }).click();
  await expect(tree.getByRole("row", { name: new RegExp(`^${escapeRe("Group ct/701 in archive/ci")}`) })).toBeVisible();
  await tree.getByRole("button", { name: "Namespace dev/ci", exact: true }).click();
  await expect(tree.getByRole("row", { name: new RegExp(`^${escapeRe("Group ct/700 in dev/ci")}`) })).toBeVisible();
  await page.emulateMedia({ colorScheme: "dark" });
  await shot(page, "move-namespace-03-after-dark");
});
