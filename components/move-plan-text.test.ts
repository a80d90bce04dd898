import { describe, expect, it } from "vitest";
import { planSentence } from "./move-plan-text";

const counts = (c: Partial<Record<"move" | "merge" | "conflict" | "locked", number>>) => ({ move: 0, merge: 0, conflict: 0, locked: 0, ...c });

describe("the move preview's sentence", () => {
  it("counts in plain words, singular and plural", () => {
    expect(planSentence(counts({ move: 1 }), false)).toBe("1 group will move.");
    expect(planSentence(counts({ move: 49, merge: 1 }), false)).toBe("50 groups will move (1 into a group that already exists).");
    expect(planSentence(counts({ move: 2, locked: 1, conflict: 2 }), false)).toBe(
      "2 groups will move; 1 group is busy and will be tried again once at the end; 2 groups cannot move and will stay where they are.",
    );
  });

  it("says when nothing would move, and why", () => {
    expect(planSentence(counts({}), false)).toBe("Nothing to move.");
    expect(planSentence(counts({ conflict: 1 }), true)).toBe("Nothing would move: the group conflicts with the target.");
    expect(planSentence(counts({ conflict: 3 }), true)).toBe("Nothing would move: all 3 groups conflict with the target.");
  });
});
