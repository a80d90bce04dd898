import { describe, expect, it } from "vitest";
import { compareGroups } from "../../datastore/names";
import type { GroupListItem } from "../../datastore/types";
import { caller, codeOf, useDemoHome } from "../test-support";

useDemoHome();

async function allGroups(): Promise<{ ns: string; groups: GroupListItem[] }[]> {
  const namespaces = await caller().namespace.list({ store: "demo" });
  return Promise.all(
    namespaces.map(async ({ ns }) => ({ ns, groups: await caller().group.list({ store: "demo", ns }) })),
  );
}

describe("group.list", () => {
  it("lists groups of every backup type, in PBS order within each namespace", async () => {
    const perNs = await allGroups();
    const types = new Set(perNs.flatMap((n) => n.groups.map((g) => g["backup-type"])));
    expect([...types].sort()).toEqual(["ct", "host", "vm"]);
    for (const { groups } of perNs) {
      const refs = groups.map((g) => ({ type: g["backup-type"], id: g["backup-id"] }));
      expect(refs).toEqual([...refs].sort(compareGroups));
    }
  });

  it("includes empty groups, with no snapshots and no last backup (PBS 4.2)", async () => {
    const empty = (await allGroups()).flatMap((n) => n.groups).filter((g) => g["backup-count"] === 0);
    expect(empty.length).toBeGreaterThanOrEqual(1);
    for (const g of empty) {
      expect(g["last-backup"]).toBe(0);
      expect(g.files).toEqual([]);
    }
  });

  it("is not recursive: a namespace's groups are not its parent's", async () => {
    const perNs = await allGroups();
    const root = perNs.find((n) => n.ns === "")!;
    const child = perNs.find((n) => n.ns !== "" && n.groups.length > 0)!;
    const key = (g: GroupListItem) => `${g["backup-type"]}/${g["backup-id"]}`;
    expect(child).toBeDefined();
    const rootGroups = new Set(root.groups.map(key));
    expect(child.groups.some((g) => !rootGroups.has(key(g))) || root.groups.length === 0).toBe(true);
  });

  it("refuses an invalid namespace with BAD_REQUEST", async () => {
    expect(await codeOf(caller().group.list({ store: "demo", ns: "bad name" }))).toBe("BAD_REQUEST");
  });
});
