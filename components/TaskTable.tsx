"use client";
/**
 * All tasks (PBS Administration → Tasks): running first, then finished ones newest first,
 * filtered on the server and loaded page by page as the reader scrolls (PBS's approximate
 * `total` says whether there is more). A click anywhere on a row opens the task in the Task
 * Viewer; from the keyboard, the task's name is the row's button (Tab, then Enter), and Enter
 * on a row that has the focus (after a click) works too. Running durations tick every second.
 */
import { useInfiniteQuery, useQueryClient } from "@tanstack/react-query";
import { useSearchParams } from "next/navigation";
import { useCallback, useEffect, useMemo, useRef } from "react";
import { Badge, type BadgeTone } from "./Badge";
import { ErrorMessage } from "./ErrorMessage";
import { Icon } from "./Icon";
import { Spinner } from "./Spinner";
import { TaskFilters, filterInput, type TaskFilterValues } from "./TaskFilters";
import { parseTaskView, taskFilterQuery } from "./task-links";
import { useUrlBackedState } from "./url-state";
import { TaskViewerDialog } from "./TaskViewerDialog";
import { formatDuration, formatLocalTime, type TaskOutcomeTone } from "./task-format";
import { useTRPC } from "./TrpcProvider";
import { useNow } from "./useNow";

const PAGE_SIZE = 50;

const TONE: Record<TaskOutcomeTone, BadgeTone> = {
  running: "info",
  success: "success",
  warning: "warning",
  danger: "danger",
  neutral: "neutral",
};

const upidQuery = (upid: string | null) => ({ upid: upid ?? undefined });

export function TaskTable() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  // The filters and the open task live in the URL (task-links.ts).
  const searchParams = useSearchParams();
  const view = useMemo(() => parseTaskView(new URLSearchParams(searchParams.toString())), [searchParams]);
  const [filters, onFilters] = useUrlBackedState(view.filters, taskFilterQuery);
  const [viewing, setViewing] = useUrlBackedState(view.upid, upidQuery);
  const input = filterInput(filters);

  const tasks = useInfiniteQuery({
    queryKey: [...trpc.task.list.pathKey(), "pages", input],
    initialPageParam: 0,
    queryFn: ({ pageParam }) =>
      queryClient.fetchQuery({ ...trpc.task.list.queryOptions({ ...input, start: pageParam, limit: PAGE_SIZE }), staleTime: 0 }),
    getNextPageParam: (last, pages) => {
      const loaded = pages.reduce((n, p) => n + p.data.length, 0);
      return last.total > loaded ? loaded : undefined;
    },
  });
  const rows = tasks.data?.pages.flatMap((p) => p.data) ?? [];
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = tasks;

  // Endless scrolling: the next page loads when the end of the table comes into view.
  const sentinel = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = sentinel.current;
    if (!el || !hasNextPage) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && !isFetchingNextPage) void fetchNextPage();
    }, { rootMargin: "300px" });
    observer.observe(el);
    return () => observer.disconnect();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);

  const now = useNow(rows.some((t) => t.status === undefined));
  /** A click that ends a text selection (copying a status or a user) is not a request to open. */
  const openRow = (upid: string) => {
    if (window.getSelection()?.toString()) return;
    setViewing(upid);
  };

  return (
    <div className="panel">
      <div className="panel__toolbar">
        <h2 className="panel__title">Running and finished tasks</h2>
        <button type="button" className="button" onClick={() => void tasks.refetch()} disabled={tasks.isFetching}>
          <Icon name="refresh" />
          Reload
        </button>
      </div>
      <TaskFilters value={filters} onChange={onFilters} />
      {tasks.isError && <ErrorMessage title="Could not load the tasks" error={tasks.error} />}
      <div className="table-wrap">
        <table className="data-table data-table--stack task-table" aria-busy={tasks.isFetching}>
          <thead>
            <tr>
              <th scope="col">Task</th>
              <th scope="col">Status</th>
              <th scope="col">Started</th>
              <th scope="col">Ended</th>
              <th scope="col" className="num">
                Duration
              </th>
              <th scope="col">User</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((t) => {
              const running = t.status === undefined;
              const outcome = t.outcome;
              return (
                <tr
                  key={t.upid}
                  className={`task-row task-row--${outcome.tone}`}
                  data-upid={t.upid}
                  tabIndex={-1}
                  onClick={() => openRow(t.upid)}
                  onKeyDown={(e) => {
                    if (e.key !== "Enter" || e.target !== e.currentTarget) return;
                    // Else the same Enter would also press the viewer's first button once it has the focus.
                    e.preventDefault();
                    setViewing(t.upid);
                  }}
                >
                  <td className="task-table__task">
                    <button
                      type="button"
                      className="link-button"
                      onClick={(e) => {
                        e.stopPropagation();
                        setViewing(t.upid);
                      }}
                    >
                      {t.description}
                    </button>
                  </td>
                  <td data-label="Status">
                    <div className="task-table__status">
                      <Badge tone={TONE[outcome.tone]}>{outcome.label}</Badge>
                      {/* The badge says it all, except why a task failed or was refused. */}
                      {(outcome.label === "Error" || outcome.label === "Refused") && (
                        <span className="task-table__exit" title={t.status}>
                          {t.status}
                        </span>
                      )}
                    </div>
                  </td>
                  <td className="nowrap" data-label="Started">{formatLocalTime(t.starttime)}</td>
                  <td className="nowrap" data-label="Ended">{running ? <Spinner label="Running" /> : formatLocalTime(t.endtime!)}</td>
                  <td className="num" data-label="Duration">{formatDuration((t.endtime ?? now) - t.starttime)}</td>
                  <td className="nowrap muted" data-label="User">{t.user}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {tasks.isPending && (
        <p className="empty-state">
          <Spinner /> Loading tasks…
        </p>
      )}
      {tasks.isSuccess && rows.length === 0 && <p className="empty-state">No tasks match these filters.</p>}
      <div ref={sentinel} className="panel__footer task-table__footer">
        {hasNextPage ? (
          <button type="button" className="button" onClick={() => void fetchNextPage()} disabled={isFetchingNextPage}>
            {isFetchingNextPage ? <Spinner label="Loading more tasks" /> : null}
            Load more tasks
          </button>
        ) : (
          rows.length > 0 && <span>All {rows.length} tasks shown.</span>
        )}
      </div>
      <TaskViewerDialog upid={viewing} onClose={() => setViewing(null)} onEnded={() => void tasks.refetch()} />
    </div>
  );
}
