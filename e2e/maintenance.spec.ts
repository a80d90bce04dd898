/**
 * Putting a datastore into maintenance while a write runs on it: the Maintenance Mode dialog
 * (keyboard only) checks the message at the field, sets Read-only; the header then shows the one
 * conflicting operation draining with a spinner, and a checkmark with `No conflicting
 * operations` once it has ended. A write started afterwards is refused with the admin's message,
 * which the console shows and explains.
 */
import { expect, test, type APIRequestContext } from "@playwright/test";
import { ORIGIN } from "./support/auth";
import { startTask } from "./support/task";

const STORE = "demo";
const MESSAGE = "disk swap until 14:00";

interface MaintenanceState {
  mode: string | null;
  message: string | null;
  "active-operations": { read: number; write: number };
}

async function maintenance(request: APIRequestContext): Promise<MaintenanceState> {
  const res = await request.get(`/api/trpc/maintenance.get?input=${encodeURIComponent(JSON.stringify({ store: STORE }))}`);
  expect(res.ok()).toBe(true);
  return (await res.json()).result.data as MaintenanceState;
}

async function setMode(request: APIRequestContext, mode: string) {
  const res = await request.post("/api/trpc/maintenance.set", { data: { store: STORE, mode }, headers: { origin: ORIGIN } });
  expect(res.ok()).toBe(true);
}

test.afterEach(async ({ request }) => setMode(request, "none"));

test("read-only maintenance drains a running write and refuses a new one with the message", async ({ page, request }) => {
  await startTask("debug-write-hold", { store: STORE, seconds: 7 });
  await expect.poll(async () => (await maintenance(request))["active-operations"].write).toBe(1);

  await page.goto(`/datastores/${STORE}`);
  await expect(page.locator(".maintenance-status__mode")).toContainText("None");

  // Keyboard only: open the dialog, pick Read-only with the arrow keys, type the message.
  const open = page.getByRole("button", { name: "Maintenance mode…" });
  await open.focus();
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog", { name: "Maintenance Mode" });
  await expect(dialog).toBeVisible();
  const mode = dialog.getByRole("radiogroup", { name: "Mode" });
  // The dialog opens on the current mode, so the arrow keys change it at once.
  await expect(mode.getByRole("radio", { name: "None" })).toBeChecked();
  await expect(mode.getByRole("radio", { name: "None" })).toBeFocused();
  // Held until the focus moved, as a person presses it: Radix moves the focus in a timeout and
  // checks the radio only while the arrow key is still down (a press shorter than that is racy).
  await page.keyboard.down("ArrowDown");
  await expect(mode.getByRole("radio", { name: "Read-only" })).toBeFocused();
  await page.keyboard.up("ArrowDown");
  await expect(mode.getByRole("radio", { name: "Read-only" })).toBeChecked();
  await expect(dialog).toContainText("1 write operation still running on 'demo' will finish; new ones will be refused.");

  // A message the engine would refuse is caught at the field; nothing is sent.
  const message = dialog.getByRole("textbox", { name: "Message" });
  await page.keyboard.press("Tab");
  await expect(message).toBeFocused();
  await message.fill("x".repeat(65));
  await expect(dialog.getByRole("alert")).toContainText("too long: 65 characters");
  await expect(message).toHaveAttribute("aria-invalid", "true");
  await page.screenshot({ path: "test-results/screens/maintenance-dialog-invalid.png" });
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(dialog).toBeVisible();
  expect((await maintenance(request)).mode).toBeNull();

  await message.fill(MESSAGE);
  await expect(dialog.getByRole("alert")).toHaveCount(0);
  await page.keyboard.press("Enter"); // submits the form
  await expect(dialog).toBeHidden();
  expect(await maintenance(request)).toMatchObject({ mode: "read-only", message: MESSAGE });

  // The one write still running conflicts with read-only: spinner and count, live.
  const drain = page.getByRole("status", { name: "Conflicting operations" });
  await expect(drain).toHaveText("1 conflicting operation still active");
  await page.screenshot({ path: "test-results/screens/maintenance-draining.png" });
  await expect(drain.locator(".spinner")).toBeVisible();
  await expect(page.locator(".maintenance-status__mode")).toContainText("Read-only");

  // Once it ended: the checkmark and the all-clear, without reloading the page.
  await expect(drain).toHaveText("No conflicting operations", { timeout: 10_000 });
  await expect(drain.locator(".spinner")).toHaveCount(0);
  await expect(drain.locator("svg")).toBeVisible();
  await page.screenshot({ path: "test-results/screens/maintenance-drained.png" });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: "test-results/screens/maintenance-drained-dark.png" });

  // A new write is refused with the admin's message, and the console says so in plain words.
  const refused = await startTask("debug-write-hold", { store: STORE, seconds: 1 });
  await page.goto("/tasks");
  await page.getByRole("checkbox", { name: "Errors" }).check();
  const row = page.getByRole("row").filter({ has: page.getByRole("button", { name: "Debug write hold (demo)" }) }).first();
  await expect(row).toContainText("Refused");
  await row.getByRole("button").click();
  const viewer = page.getByRole("dialog", { name: /^Task Viewer/ });
  await expect(viewer.getByText(refused)).toBeAttached();
  await expect(viewer.getByRole("status", { name: "Task status" })).toContainText(
    `datastore 'demo' is unavailable: read-only maintenance mode: ${MESSAGE}`,
  );
  await expect(viewer).toContainText(`The administrator's message: "${MESSAGE}"`);
  await page.screenshot({ path: "test-results/screens/maintenance-refused-dark.png" });
});
