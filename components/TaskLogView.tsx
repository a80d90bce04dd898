"use client";
/**
 * A task log: one row per line, time stamp apart from the text, rendered windowed so that a
 * log of 100,000 lines stays light. Long lines wrap (no sideways scrolling): rows are measured
 * as they render, one line high until then. It follows the end while the reader is at the bottom; when
 * they scroll up, following pauses and a button brings them back (PBS's LogView, live).
 */
import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useLayoutEffect, useRef, useState } from "react";
import { splitLogLine } from "./task-format";

/** One unwrapped line; wrapped ones are measured. */
const ROW_HEIGHT = 20;
/** How close to the bottom counts as "at the bottom" (PBS: 5 px). */
const BOTTOM_SLACK = 8;

export interface LogLine {
  n: number;
  t: string;
}

export function TaskLogView({ lines, live, label = "Task log" }: { lines: readonly LogLine[]; live: boolean; label?: string }) {
  const scroller = useRef<HTMLDivElement>(null);
  const [following, setFollowing] = useState(true);
  const virtualizer = useVirtualizer({
    count: lines.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 30,
  });

  // New lines while following: stay at the end.
  useLayoutEffect(() => {
    if (following && lines.length > 0) virtualizer.scrollToIndex(lines.length - 1, { align: "end" });
  }, [lines.length, following, virtualizer]);

  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const onScroll = () => setFollowing(el.scrollHeight - el.scrollTop - el.clientHeight <= BOTTOM_SLACK);
    el.addEventListener("scroll", onScroll, { passive: true });
    return () => el.removeEventListener("scroll", onScroll);
  }, []);

  return (
    <div className="task-log">
      <div
        ref={scroller}
        className="task-log__scroller"
        role="log"
        aria-label={label}
        // Announcing every progress line would drown a screen reader; the status says what matters.
        aria-live="off"
        tabIndex={0}
      >
        {lines.length === 0 ? (
          <p className="task-log__empty">{live ? "Waiting for the first line…" : "The log is empty."}</p>
        ) : (
          <ol className="task-log__lines" style={{ height: virtualizer.getTotalSize() }}>
            {virtualizer.getVirtualItems().map((row) => {
              const line = lines[row.index]!;
              const { time, text } = splitLogLine(line.t);
              return (
                <li
                  key={line.n}
                  ref={virtualizer.measureElement}
                  className="task-log__line"
                  data-n={line.n}
                  data-index={row.index}
                  style={{ transform: `translateY(${row.start}px)` }}
                >
                  {time ? (
                    <time className="task-log__time" dateTime={time} title={time}>
                      {time.slice(11, 19)}
                    </time>
                  ) : (
                    <span className="task-log__time" />
                  )}
                  <span className={/^TASK (ERROR|WARNINGS)/.test(text) ? "task-log__text task-log__text--final-bad" : "task-log__text"}>
                    {text}
                  </span>
                </li>
              );
            })}
          </ol>
        )}
      </div>
      {!following && live && (
        <button
          type="button"
          className="button task-log__follow"
          onClick={() => {
            setFollowing(true);
            virtualizer.scrollToIndex(lines.length - 1, { align: "end" });
          }}
        >
          Paused · Follow the log
        </button>
      )}
    </div>
  );
}
