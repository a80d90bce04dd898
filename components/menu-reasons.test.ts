import { describe, expect, it } from "vitest";
import { menuReasons, noteText } from "./menu-reasons";

const RO = "refused in read-only maintenance";

describe("menuReasons", () => {
  it("says a reason every item shares once, as one note, and nothing beside the items", () => {
    const items = ["Edit notes", "Prune", "Move Group", "Delete group"].map((label) => ({ label, disabledReason: RO }));
    const r = menuReasons(items);
    expect(r.notes).toEqual([{ reason: RO }]);
    expect(noteText(r.notes[0]!)).toBe(RO);
    for (const item of items) {
      expect(r.inline(item)).toBeUndefined();
      expect(r.noteOf(item)).toBe(0);
    }
  });

  it("names the items a shared reason covers, and keeps a single item's reason beside it", () => {
    const items = [
      { label: "Edit notes", disabledReason: RO },
      { label: "Verify" },
      { label: "Prune", disabledReason: RO },
      { label: "Delete group", disabledReason: RO },
      { label: "Protect", disabledReason: "the snapshot is unfinished" },
    ];
    const r = menuReasons(items);
    expect(r.notes.map(noteText)).toEqual([`Edit notes, Prune and Delete group: ${RO}`]);
    expect(r.inline(items[4]!)).toBe("the snapshot is unfinished");
    expect(r.noteOf(items[4]!)).toBe(-1);
    expect(r.inline(items[1]!)).toBeUndefined();
  });

  it("has no notes when nothing is disabled", () => {
    expect(menuReasons([{ label: "a" }, { label: "b" }]).notes).toEqual([]);
  });
});
