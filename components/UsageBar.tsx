/** How full a datastore's disk is: a meter with the numbers beside it (the text carries the meaning). */
import { formatSize } from "./format";
import "./jobs.css";

export function UsageBar({ used, total, label }: { used: number; total: number; label: string }) {
  const pct = total > 0 ? Math.min(100, (used / total) * 100) : 0;
  const tone = pct >= 90 ? "usage-bar--danger" : pct >= 75 ? "usage-bar--warning" : "";
  return (
    <div className="usage">
      <div
        className={`usage-bar ${tone}`}
        role="meter"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(pct)}
        aria-valuetext={`${pct.toFixed(1)}% used, ${formatSize(used)} of ${formatSize(total)}`}
      >
        <div className="usage-bar__fill" style={{ width: `${pct}%` }} />
      </div>
      <span className="usage__text">
        {formatSize(used)} of {formatSize(total)} ({pct.toFixed(1)}%)
      </span>
    </div>
  );
}
