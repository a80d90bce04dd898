"use client";
/**
 * The store's garbage collections, one bar per run (the newest 30): on-disk bytes after the run,
 * with the space it freed stacked on top and the deduplication factor written above, as a
 * hand-written SVG with a title, axes, native tooltips and a data table.
 */
import { useId } from "react";
import type { GcHistoryEntry } from "@/server/api/types";
import { byteTicks, shortTime } from "./chart-scale";
import { formatSize } from "./format";
import { formatLocalTime } from "./task-format";
import "./jobs.css";

const W = 640;
const H = 200;
const PAD = { left: 72, right: 16, top: 22, bottom: 28 };
const MAX_BARS = 30;

export function GcHistoryChart({ runs }: { runs: readonly GcHistoryEntry[] }) {
  const id = useId();
  const shown = runs.slice(-MAX_BARS);
  const maxY = Math.max(1, ...shown.map((r) => r["disk-bytes"] + r["removed-bytes"]));
  const ticks = byteTicks(maxY);
  const top = ticks[ticks.length - 1] || maxY;
  const slot = (W - PAD.left - PAD.right) / Math.max(shown.length, 4);
  const barW = Math.min(48, slot * 0.6);
  const y = (v: number) => H - PAD.bottom - (v / top) * (H - PAD.top - PAD.bottom);
  const withDate = shown.length > 1 && shown[shown.length - 1]!.endtime - shown[0]!.endtime > 20 * 3600;
  const last = shown[shown.length - 1];
  const title = "Garbage collection history";
  const summary = !last
    ? "No garbage collection has run yet (or none since Coffer started recording them)."
    : `${runs.length === 1 ? "One run" : `${runs.length} runs`}. The last, ${formatLocalTime(last.endtime)}, freed ${formatSize(last["removed-bytes"])}; ${formatSize(
        last["disk-bytes"],
      )} on disk hold ${formatSize(last["index-data-bytes"])} of backups (deduplication factor ${last["dedup-factor"].toFixed(2)}).`;

  return (
    <figure className="chart" aria-labelledby={`${id}-title`}>
      <figcaption className="chart__title" id={`${id}-title`}>
        {title}
      </figcaption>
      <p className="chart__summary" id={`${id}-desc`}>
        {summary}
      </p>
      {shown.length > 0 && (
        <>
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
            </g>
            {shown.map((r, i) => {
              const cx = PAD.left + slot * (i + 0.5);
              const disk = r["disk-bytes"];
              const removed = r["removed-bytes"];
              return (
                <g key={r.upid}>
                  <title>{`${formatLocalTime(r.endtime)}: ${formatSize(disk)} on disk, ${formatSize(removed)} removed, deduplication factor ${r[
                    "dedup-factor"
                  ].toFixed(2)}`}</title>
                  <rect x={cx - barW / 2} y={y(disk)} width={barW} height={Math.max(0, y(0) - y(disk))} className="chart__bar" />
                  {removed > 0 && (
                    <rect x={cx - barW / 2} y={y(disk + removed)} width={barW} height={Math.max(1, y(disk) - y(disk + removed))} className="chart__bar chart__bar--removed" />
                  )}
                  <text x={cx} y={y(disk + removed) - 5} textAnchor="middle" className="chart__label">
                    ×{r["dedup-factor"].toFixed(1)}
                  </text>
                  {(shown.length <= 8 || i % Math.ceil(shown.length / 6) === 0) && (
                    <text x={cx} y={H - 8} textAnchor="middle" className="chart__tick">
                      {shortTime(r.endtime, withDate)}
                    </text>
                  )}
                </g>
              );
            })}
          </svg>
          <div className="chart__legend" aria-hidden="true">
            <span className="chart__key chart__key--bar" /> On disk after GC <span className="chart__key chart__key--removed" /> Removed ·
            ×N deduplication factor
          </div>
        </>
      )}
      {runs.length > 0 && (
        <details className="chart__data">
          <summary>Data table</summary>
          <div className="table-wrap chart__table">
            <table className="data-table">
              <caption className="visually-hidden">{title}</caption>
              <thead>
                <tr>
                  <th scope="col">Ended</th>
                  <th scope="col" className="num">Removed</th>
                  <th scope="col" className="num">On disk</th>
                  <th scope="col" className="num">Original data</th>
                  <th scope="col" className="num">Dedup factor</th>
                </tr>
              </thead>
              <tbody>
                {[...runs].reverse().map((r) => (
                  <tr key={r.upid}>
                    <td className="nowrap">{formatLocalTime(r.endtime)}</td>
                    <td className="num">{formatSize(r["removed-bytes"])}</td>
                    <td className="num">{formatSize(r["disk-bytes"])}</td>
                    <td className="num">{formatSize(r["index-data-bytes"])}</td>
                    <td className="num">{r["dedup-factor"].toFixed(2)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      )}
    </figure>
  );
}
