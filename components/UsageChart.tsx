"use client";
/**
 * Disk usage of a datastore over time: used (area) against total (dashed line), as a
 * hand-written SVG with a title, axes, a native tooltip per sample, and the same numbers as a
 * table for screen readers and for copying (PBS shows this as its RRD usage graph).
 */
import { useId } from "react";
import { byteTicks, shortTime } from "./chart-scale";
import { formatSize } from "./format";
import { formatLocalTime } from "./task-format";
import "./jobs.css";

export interface UsagePoint {
  time: number;
  total: number;
  used: number;
}

const W = 640;
const H = 200;
const PAD = { left: 72, right: 16, top: 12, bottom: 28 };

export function UsageChart({ samples, title = "Disk usage over time" }: { samples: readonly UsagePoint[]; title?: string }) {
  const id = useId();
  const last = samples[samples.length - 1];
  const first = samples[0];
  const maxY = Math.max(1, ...samples.map((s) => Math.max(s.total, s.used)));
  const ticks = byteTicks(maxY);
  const top = ticks[ticks.length - 1] || maxY;
  const t0 = first?.time ?? 0;
  const t1 = last?.time ?? 1;
  const span = Math.max(1, t1 - t0);
  const x = (t: number) => PAD.left + ((t - t0) / span) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - (v / top) * (H - PAD.top - PAD.bottom);
  const withDate = span > 20 * 3600;
  const xTicks = samples.length < 2 ? [] : [0, 1, 2, 3].map((i) => t0 + (span * i) / 3);

  const summary = !last
    ? "No samples yet."
    : samples.length < 2
      ? `One sample so far: ${formatSize(last.used)} of ${formatSize(last.total)} used at ${formatLocalTime(last.time)}.`
      : `From ${formatLocalTime(first!.time)} to ${formatLocalTime(last.time)}, used went from ${formatSize(first!.used)} to ${formatSize(last.used)} of ${formatSize(last.total)}.`;

  const line = samples.map((s, i) => `${i === 0 ? "M" : "L"}${x(s.time).toFixed(1)},${y(s.used).toFixed(1)}`).join(" ");
  const area = samples.length > 1 ? `${line} L${x(t1).toFixed(1)},${y(0)} L${x(t0).toFixed(1)},${y(0)} Z` : "";
  const totalLine = samples.map((s, i) => `${i === 0 ? "M" : "L"}${x(s.time).toFixed(1)},${y(s.total).toFixed(1)}`).join(" ");

  return (
    <figure className="chart" aria-labelledby={`${id}-title`}>
      <figcaption className="chart__title" id={`${id}-title`}>
        {title}
      </figcaption>
      <p className="chart__summary" id={`${id}-desc`}>
        {summary}
        {samples.length < 2 ? " The console samples every few minutes while it runs; the chart fills in over time." : null}
      </p>
      <svg className="chart__svg" viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby={`${id}-title ${id}-desc`}>
        <g className="chart__grid">
          {ticks.map((v) => (
            <g key={v}>
              <line x1={PAD.left} x2={W - PAD.right} y1={y(v)} y2={y(v)} />
              <text x={PAD.left - 8} y={y(v)} dy="0.32em" textAnchor="end" className="chart__tick">
                {formatSize(v)}
              </text>
            </g>
          ))}
          {xTicks.map((t) => (
            <text key={t} x={x(t)} y={H - 8} textAnchor="middle" className="chart__tick">
              {shortTime(t, withDate)}
            </text>
          ))}
        </g>
        {area && <path d={area} className="chart__area" />}
        {samples.length > 0 && <path d={totalLine} className="chart__total" />}
        {samples.length > 1 && <path d={line} className="chart__line" />}
        {samples.map((s) => (
          <circle key={s.time} cx={x(s.time)} cy={y(s.used)} r={samples.length > 60 ? 1.5 : 3} className="chart__point">
            <title>{`${formatLocalTime(s.time)}: ${formatSize(s.used)} of ${formatSize(s.total)} used (${((s.used / (s.total || 1)) * 100).toFixed(1)}%)`}</title>
          </circle>
        ))}
      </svg>
      <div className="chart__legend" aria-hidden="true">
        <span className="chart__key chart__key--used" /> Used <span className="chart__key chart__key--total" /> Total
      </div>
      <details className="chart__data">
        <summary>Data table</summary>
        <div className="table-wrap chart__table">
          <table className="data-table">
            <caption className="visually-hidden">{title}</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col" className="num">
                  Used
                </th>
                <th scope="col" className="num">
                  Total
                </th>
                <th scope="col" className="num">
                  Used %
                </th>
              </tr>
            </thead>
            <tbody>
              {[...samples].reverse().map((s) => (
                <tr key={s.time}>
                  <td className="nowrap">{formatLocalTime(s.time)}</td>
                  <td className="num">{formatSize(s.used)}</td>
                  <td className="num">{formatSize(s.total)}</td>
                  <td className="num">{((s.used / (s.total || 1)) * 100).toFixed(1)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
