import type { PlannedGroup } from "@/server/api/types";

const groupsText = (n: number) => (n === 1 ? "1 group" : `${n} groups`);

/** The plan in a sentence (the engine's own summary, "1 group(s) will be moved", is for logs). */
export function planSentence(counts: Record<PlannedGroup["action"], number>, fails: boolean): string {
  const moving = counts.move + counts.merge;
  const stuck = counts.conflict;
  if (moving + stuck + counts.locked === 0) return "Nothing to move.";
  if (fails) return stuck > 0 ? `Nothing would move: ${stuck === 1 ? "the group conflicts" : `all ${stuck} groups conflict`} with the target.` : "Nothing would move.";
  const parts = [`${groupsText(moving)} will move`];
  if (counts.merge > 0) parts[0] += ` (${counts.merge} into ${counts.merge === 1 ? "a group" : "groups"} that already ${counts.merge === 1 ? "exists" : "exist"})`;
  if (counts.locked > 0) parts.push(`${groupsText(counts.locked)} ${counts.locked === 1 ? "is" : "are"} busy and will be tried again once at the end`);
  if (stuck > 0) parts.push(`${groupsText(stuck)} cannot move and will stay where ${stuck === 1 ? "it is" : "they are"}`);
  return `${parts.join("; ")}.`;
}
