/** A small status pill. The tone carries the colour; the text always carries the meaning. */
import type { ReactNode } from "react";

export type BadgeTone = "neutral" | "info" | "success" | "warning" | "danger";

export function Badge({ tone = "neutral", title, children }: { tone?: BadgeTone; title?: string; children: ReactNode }) {
  return (
    <span className={tone === "neutral" ? "badge" : `badge badge--${tone}`} title={title}>
      {children}
    </span>
  );
}
