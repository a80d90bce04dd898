import { describe, expect, it } from "vitest";
import type { GroupListItem, SnapshotListItem } from "../../datastore/types";
import { caller, codeOf, useDemoHome } from "../test-support";

useDemoHome();

interface Listed {
  ns: string;
  group: GroupListItem;
  snapshots: SnapshotListItem[];
}

async function everything(): Promise<Listed[]> {
  const out: Listed[] = [];
  for (const { ns } of await caller().namespace.list({ store: "demo" })) {
    for (const group of await caller().group.list({ store: "demo", ns })) {
      const ref = { type: group["backup-type"], id: group["backup-id"] };
      out.push({ ns, group, snapshots: await caller().snapshot.list({ store: "demo", ns, group: ref }) });
    }
  }
  return out;
}

describe("snapshot.list", () => {
  it("lists a group's snapshots, as many as the group counts", async () => {
    const listed = await everything();
    expect(listed.some((l) => l.snapshots.length >= 2)).toBe(true);
    for (const { group, snapshots } of listed) {
      expect(snapshots).toHaveLength(group["backup-count"]);
      for (const s of snapshots) {
        expect(s["backup-type"]).toBe(group["backup-type"]);
        expect(s["backup-id"]).toBe(group["backup-id"]);
      }
    }
  });

  it("reports sizes, protection, unfinished snapshots and notes", async () => {
    const all = (await everything()).flatMap((l) => l.snapshots);
    const finished = all.filter((s) => s.finished);
    expect(finished.length).toBeGreaterThan(0);
    for (const s of finished) expect(s.size).toBeGreaterThan(0);
    expect(all.some((s) => s.protected)).toBe(true);
    expect(all.filter((s) => !s.finished)).toHaveLength(1);
    expect(all.some((s) => (s.comment ?? "").length > 0)).toBe(true);
  });

  it("lists a whole namespace when no group is given", async () => {
    const listed = await everything();
    const ns = listed.find((l) => l.snapshots.length > 0)!.ns;
    const expected = listed.filter((l) => l.ns === ns).reduce((n, l) => n + l.snapshots.length, 0);
    expect(await caller().snapshot.list({ store: "demo", ns })).toHaveLength(expected);
  });

  it("refuses an invalid group with BAD_REQUEST", async () => {
    // @ts-expect-error: "file" is not a backup type, which is the point
    const badType = caller().snapshot.list({ store: "demo", group: { type: "file", id: "1" } });
    expect(await codeOf(badType)).toBe("BAD_REQUEST");
    expect(await codeOf(caller().snapshot.list({ store: "demo", group: { type: "vm", id: "-x" } }))).toBe("BAD_REQUEST");
  });
});
