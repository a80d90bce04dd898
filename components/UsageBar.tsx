/**
 * How full a datastore's disk is, as `df -h` says it: the bar and the percentage are used /
 * (used + available), and the text gives used, available and total (the text carries the meaning).
 */
import { usageFigures, type DiskFigures } from "./usage-figures";
import "./jobs.css";

export function UsageBar({ usage, label }: { usage: DiskFigures; label: string }) {
  const { fraction, percent, text } = usageFigures(usage);
  const tone = percent >= 90 ? "usage-bar--danger" : percent >= 75 ? "usage-bar--warning" : "";
  return (
    <div className="usage">
      <div
        className={`usage-bar ${tone}`}
        role="meter"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-valuetext={text}
      >
        <div className="usage-bar__fill" style={{ width: `${fraction}%` }} />
      </div>
      <span className="usage__text">{text}</span>
    </div>
  );
}
