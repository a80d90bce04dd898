/**
 * Restore from the browser: a snapshot's menu opens Restore / Download, which lists the
 * snapshot's archives with sizes; a directory archive is browsed folder by folder and a single
 * file downloaded, and what arrives is the file's content, its size announced in Content-Length.
 */
import { readFile } from "node:fs/promises";
import { expect, test, type Download, type Page } from "@playwright/test";
import { STORE, escapeRe, query, shot } from "./support/content";

interface SnapshotPage {
  items: { "backup-time": number; finished: boolean }[];
}

const utc = (epoch: number) => new Date(epoch * 1000).toISOString().slice(0, 19).replace("T", " ");

async function content(download: Download): Promise<string> {
  return readFile((await download.path())!, "utf8");
}

async function openRestore(page: Page, time: number) {
  await page.goto(`/datastores/${STORE}`);
  const tree = page.getByRole("treegrid", { name: `Content of datastore ${STORE}` });
  const group = tree.getByRole("button", { name: "Group host/backup-server", exact: true });
  await group.click();
  await expect(group).toHaveAttribute("aria-expanded", "true");
  const row = tree.getByRole("row", { name: new RegExp(`^${escapeRe(`Snapshot host/backup-server ${utc(time)}`)}(?! in )`) });
  await row.focus();
  await page.keyboard.press("Shift+F10");
  await page.getByRole("menuitem", { name: "Restore / Download…" }).press("Enter");
  const dialog = page.getByRole("dialog", { name: /^Restore snapshot host\/backup-server\// });
  await expect(dialog).toBeVisible();
  return dialog;
}

test("restore from a snapshot: list the archives, browse a folder, download a file", async ({ page, request }) => {
  const snapshots = await query<SnapshotPage>(request, "snapshot.list", { store: STORE, ns: "", group: { type: "host", id: "backup-server" } });
  const time = snapshots.items.find((s) => s.finished)!["backup-time"];
  const dialog = await openRestore(page, time);

  // The archives, with their type and size before anything downloads.
  const archives = dialog.getByRole("table", { name: "Archives" });
  await expect(archives.getByRole("row", { name: /^host\.conf File \d+ B/ })).toBeVisible();
  await expect(archives.getByRole("row", { name: /^root\.pxar Directory 5\.\d MiB/ })).toBeVisible();
  await shot(page, "restore-01-archives-1440");

  // The browser gets the real size before the body (Next drops Content-Length from streamed
  // responses; the front door restores it) and a body of exactly that length, even when it
  // offers gzip (a compressed body would not match the size). HEAD answers the same size and
  // releases the snapshot.
  const tarUrl = (await dialog.getByRole("link", { name: "Download root.pxar as a tar" }).getAttribute("href"))!;
  const res = await request.get(tarUrl, { headers: { "accept-encoding": "gzip, deflate, br" } });
  const headers = res.headers();
  expect(headers["content-length"]).toMatch(/^[1-9][0-9]*$/);
  expect(headers["content-encoding"]).toBeUndefined();
  expect(headers["x-coffer-content-length"]).toBeUndefined();
  expect((await res.body()).length).toBe(Number(headers["content-length"]));
  const head = await request.head(tarUrl);
  expect(head.headers()["content-length"]).toBe(headers["content-length"]);
  // Polled: the page's own queries may hold a read for a moment; a leaked one would never end.
  await expect
    .poll(async () => (await query<{ "active-operations": { read: number } }>(request, "maintenance.get", { store: STORE }))["active-operations"].read)
    .toBe(0);

  // A config file downloads as it is.
  const [conf] = await Promise.all([page.waitForEvent("download"), dialog.getByRole("link", { name: /^Download host\.conf \(/ }).click()]);
  expect(conf.suggestedFilename()).toBe("host.conf");
  expect(await content(conf)).toMatch(/^hostname: backup-server\n/);

  // Browse the directory archive by keyboard: into etc, then download one file.
  await dialog.getByRole("button", { name: "Browse root.pxar" }).press("Enter");
  const top = dialog.getByRole("table", { name: "Files in root.pxar" });
  await expect(top.getByRole("row", { name: /^Open folder etc Folder/ })).toBeVisible();
  await top.getByRole("button", { name: "Open folder etc" }).press("Enter");
  await expect(dialog.getByRole("heading", { name: "Folder etc" })).toBeFocused();
  const etc = dialog.getByRole("table", { name: "Files in etc" });
  await expect(etc.getByRole("row", { name: /^hostname File 14 B/ })).toBeVisible();
  await expect(etc.getByRole("row", { name: /^localtime → \/usr\/share\/zoneinfo\/UTC Symlink/ })).toBeVisible();
  await shot(page, "restore-02-browse-etc-1440");
  const [file] = await Promise.all([page.waitForEvent("download"), etc.getByRole("link", { name: "Download hostname (14 B)" }).click()]);
  expect(file.suggestedFilename()).toBe("hostname");
  expect(await content(file)).toBe("backup-server\n");
  // A folder downloads as a tar.
  const [tar] = await Promise.all([page.waitForEvent("download"), etc.getByRole("link", { name: "Download folder ssh as a tar" }).click()]);
  expect(tar.suggestedFilename()).toBe("ssh.tar");
  const bytes = await readFile((await tar.path())!);
  expect(bytes.subarray(257, 262).toString()).toBe("ustar");
  expect(bytes.toString("latin1")).toContain("PasswordAuthentication no");

  // Back up the path with the breadcrumb, then close: the focus returns to the row's menu button.
  await dialog.getByRole("navigation", { name: "Folder path" }).getByRole("button", { name: "root.pxar" }).click();
  await expect(top).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(page.getByRole("button", { name: `Actions for snapshot host/backup-server/${new Date(time * 1000).toISOString().replace(".000Z", "Z")}`, exact: true })).toBeFocused();
});

test("restore dialog at phone width", async ({ page, request }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  const snapshots = await query<SnapshotPage>(request, "snapshot.list", { store: STORE, ns: "", group: { type: "host", id: "backup-server" } });
  const dialog = await openRestore(page, snapshots.items.find((s) => s.finished)!["backup-time"]);
  await expect(dialog.getByRole("table", { name: "Archives" })).toBeVisible();
  await shot(page, "restore-03-archives-390");
  await dialog.getByRole("button", { name: "Browse root.pxar" }).click();
  await dialog.getByRole("button", { name: "Open folder etc" }).click();
  await expect(dialog.getByRole("table", { name: "Files in etc" })).toBeVisible();
  await shot(page, "restore-04-browse-390");
});
