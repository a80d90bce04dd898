/**
 * Why a menu's items are disabled, said once: a reason shared by several items becomes one note
 * at the top of the menu (naming the items unless it covers all of them), and only a reason of
 * a single item stays beside that item. Four items refused for one maintenance mode read as
 * one sentence, not four copies of it.
 */
export interface ReasonItem {
  label: string;
  disabledReason?: string | undefined;
}

export interface MenuReasons {
  /** Shared reasons, in order of first appearance; `labels` undefined when every item has it. */
  notes: { reason: string; labels?: string[] }[];
  /** The reason to show beside an item (only when no note carries it). */
  inline(item: ReasonItem): string | undefined;
  /** The index into `notes` that explains the item, or -1. */
  noteOf(item: ReasonItem): number;
}

function joinLabels(labels: string[]): string {
  return labels.length <= 1 ? (labels[0] ?? "") : `${labels.slice(0, -1).join(", ")} and ${labels[labels.length - 1]}`;
}

export function menuReasons(items: readonly ReasonItem[]): MenuReasons {
  const byReason = new Map<string, string[]>();
  for (const item of items) {
    if (!item.disabledReason) continue;
    byReason.set(item.disabledReason, [...(byReason.get(item.disabledReason) ?? []), item.label]);
  }
  const shared = [...byReason].filter(([, labels]) => labels.length > 1);
  const notes = shared.map(([reason, labels]) => (labels.length === items.length ? { reason } : { reason, labels }));
  const index = new Map(shared.map(([reason], i) => [reason, i]));
  return {
    notes,
    inline: (item) => (item.disabledReason && !index.has(item.disabledReason) ? item.disabledReason : undefined),
    noteOf: (item) => (item.disabledReason ? (index.get(item.disabledReason) ?? -1) : -1),
  };
}

/** A note's text: `Edit notes and Prune: reason`, or the reason alone when it covers every item. */
export function noteText(note: { reason: string; labels?: string[] }): string {
  return note.labels ? `${joinLabels(note.labels)}: ${note.reason}` : note.reason;
}
