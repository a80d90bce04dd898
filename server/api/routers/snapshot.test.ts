import { describe, expect, it } from "vitest";
import { caller, codeOf, coffer, useDemoHome } from "../test-support";

const env = useDemoHome();

const vm200 = { store: "demo", ns: "prod", group: { type: "vm" as const, id: "200" } };
/** Where a snapshot procedure's input names the snapshot, it has no `group` key. */
const inProd = { store: "demo", ns: "prod" };
const page = (more: Record<string, unknown> = {}) => caller().snapshot.list({ ...vm200, limit: 1000, ...more });

describe("snapshot.list", () => {
  it("lists a group's snapshots newest first, as many as the group counts", async () => {
    const { items, total } = await page();
    const group = (await caller().group.list({ store: "demo", ns: "prod" })).items.find((g) => g["backup-id"] === "200")!;
    expect(total).toBe(group["backup-count"]);
    expect(items).toHaveLength(total);
    const times = items.map((s) => s["backup-time"]);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    const ascending = (await page({ ascending: true })).items.map((s) => s["backup-time"]);
    expect(ascending).toEqual([...times].reverse());
  });

  it("pages with offset and limit", async () => {
    const all = (await page()).items.map((s) => s["backup-time"]);
    const a = await page({ offset: 0, limit: 2 });
    const b = await page({ offset: 2, limit: 100 });
    expect(a.total).toBe(all.length);
    expect([...a.items, ...b.items].map((s) => s["backup-time"])).toEqual(all);
  });

  it("reports sizes, owner, unfinished snapshots and notes", async () => {
    const { items } = await page();
    expect(items.filter((s) => !s.finished)).toHaveLength(1);
    for (const s of items.filter((x) => x.finished)) {
      expect(s.size).toBeGreaterThan(0);
      expect(s.owner).toBe("root@pam");
    }
    expect(items.some((s) => s.comment === "after kernel update")).toBe(true);
  });

  it("refuses an invalid group with BAD_REQUEST and a missing one with NOT_FOUND", async () => {
    // @ts-expect-error: "file" is not a backup type, which is the point
    expect(await codeOf(caller().snapshot.list({ store: "demo", group: { type: "file", id: "1" } }))).toBe("BAD_REQUEST");
    expect(await codeOf(caller().snapshot.list({ store: "demo", group: { type: "vm", id: "-x" } }))).toBe("BAD_REQUEST");
    expect(await codeOf(caller().snapshot.list({ store: "demo", group: { type: "vm", id: "4242" } }))).toBe("NOT_FOUND");
    expect(await codeOf(caller().snapshot.list({ store: "no-such-store", group: { type: "vm", id: "1" } }))).toBe("NOT_FOUND");
  });
});

describe("snapshot notes and protection", () => {
  it("reads and writes a snapshot's notes", async () => {
    const newest = (await page()).items.find((s) => s.finished)!;
    const snapshot = { ...vm200.group, time: newest["backup-time"] };
    await caller().snapshot.setNotes({ ...inProd, snapshot, notes: "checked by hand\nall fine" });
    expect(await caller().snapshot.notes({ ...inProd, snapshot })).toEqual({ notes: "checked by hand\nall fine" });
    expect((await page()).items.find((s) => s["backup-time"] === newest["backup-time"])!.comment).toBe("checked by hand");
  });

  it("answers NOT_FOUND for a missing snapshot and BAD_REQUEST for a bad time", async () => {
    const snapshot = { ...vm200.group, time: 1 };
    expect(await codeOf(caller().snapshot.notes({ ...inProd, snapshot }))).toBe("NOT_FOUND");
    expect(await codeOf(caller().snapshot.setNotes({ ...inProd, snapshot, notes: "x" }))).toBe("NOT_FOUND");
    expect(await codeOf(caller().snapshot.setProtected({ ...inProd, snapshot, protected: true }))).toBe("NOT_FOUND");
    expect(await codeOf(caller().snapshot.delete({ ...inProd, snapshot }))).toBe("NOT_FOUND");
    expect(await codeOf(caller().snapshot.notes({ ...inProd, snapshot: { ...snapshot, time: -5 } }))).toBe("BAD_REQUEST");
  });

  it("refuses to delete a protected snapshot with CONFLICT, deletes it once unprotected", async () => {
    const oldest = (await page({ ascending: true })).items[0]!;
    const snapshot = { ...vm200.group, time: oldest["backup-time"] };
    await caller().snapshot.setProtected({ ...inProd, snapshot, protected: true });
    expect((await page({ ascending: true })).items[0]!.protected).toBe(true);
    await expect(caller().snapshot.delete({ ...inProd, snapshot })).rejects.toMatchObject({
      code: "CONFLICT",
      message: "cannot remove protected snapshot",
    });
    await caller().snapshot.setProtected({ ...inProd, snapshot, protected: false });
    const before = (await page()).total;
    await caller().snapshot.delete({ ...inProd, snapshot });
    expect((await page()).total).toBe(before - 1);
  });

  it("refuses changes in read-only maintenance with PRECONDITION_FAILED", async () => {
    const newest = (await page()).items.find((s) => s.finished)!;
    const snapshot = { ...vm200.group, time: newest["backup-time"] };
    coffer(env.home(), "maintenance", "set", "demo", "read-only", "--message", "disk swap");
    try {
      for (const call of [
        () => caller().snapshot.setProtected({ ...inProd, snapshot, protected: true }),
        () => caller().snapshot.setNotes({ ...inProd, snapshot, notes: "x" }),
        () => caller().snapshot.delete({ ...inProd, snapshot }),
      ]) {
        await expect(call()).rejects.toMatchObject({ code: "PRECONDITION_FAILED", message: expect.stringContaining("disk swap") });
      }
    } finally {
      coffer(env.home(), "maintenance", "clear", "demo");
    }
  });

  it("refuses to delete a snapshot whose lock another process holds, naming the holder", async () => {
    const { holdLock } = await import("./content-test-support");
    const newest = (await page()).items.find((s) => s.finished)!;
    const iso = new Date(newest["backup-time"] * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const held = await holdLock(env.home(), "demo", `vm/200/${iso}`, "prod");
    try {
      await expect(caller().snapshot.delete({ ...inProd, snapshot: { ...vm200.group, time: newest["backup-time"] } })).rejects.toMatchObject(
        { code: "CONFLICT", message: expect.stringMatching(/held by pid \d+ for \d+ s/) },
      );
    } finally {
      await held.release();
    }
  });
});
