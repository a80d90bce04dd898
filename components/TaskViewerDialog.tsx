"use client";
/**
 * The Task Viewer (PBS's TaskViewer, live): the task's log as its lines arrive (a tRPC
 * subscription over SSE, not polling), its status in words, a Stop button while it runs, and a
 * download of the whole log. Opened with a UPID; `upid: null` keeps it closed.
 *
 * The subscription's own `data` is reset when the stream ends (reference stack-probe.md 7.10),
 * so the lines and the final status live in this component's state, fed by `onData`.
 */
import { skipToken, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useCallback, useEffect, useRef, useState } from "react";
import { Badge, type BadgeTone } from "./Badge";
import { Dialog, DialogClose, DialogFooter } from "./Dialog";
import { ErrorMessage } from "./ErrorMessage";
import { Icon } from "./Icon";
import { Spinner } from "./Spinner";
import { TaskLogView, type LogLine } from "./TaskLogView";
import { formatDuration, formatLocalTime, taskLogFileName, type TaskOutcome, type TaskOutcomeTone } from "./task-format";
import { useTRPC } from "./TrpcProvider";

export interface TaskViewerDialogProps {
  upid: string | null;
  onClose(): void;
  /**
   * Called once when the followed task ends, with its exit status (`OK`, `WARNINGS: n`, the
   * error text); at once for a task that had already ended when the viewer opened.
   */
  onEnded?(status: string): void;
}

const TONE: Record<TaskOutcomeTone, BadgeTone> = {
  running: "info",
  success: "success",
  warning: "warning",
  danger: "danger",
  neutral: "neutral",
};

export function TaskViewerDialog({ upid, onClose, onEnded }: TaskViewerDialogProps) {
  return (
    <Dialog
      open={upid !== null}
      onOpenChange={(open) => {
        if (!open) onClose();
      }}
      title={<TaskViewerTitle upid={upid} />}
      size="wide"
    >
      {/* Keyed by UPID: a different task starts from an empty log. */}
      {upid !== null && <TaskViewerBody key={upid} upid={upid} onEnded={onEnded} />}
    </Dialog>
  );
}

function TaskViewerTitle({ upid }: { upid: string | null }) {
  const trpc = useTRPC();
  const status = useQuery(trpc.task.status.queryOptions(upid ? { upid } : skipToken));
  return <>Task Viewer{status.data ? `: ${status.data.description}` : ""}</>;
}

function TaskViewerBody({ upid, onEnded }: { upid: string; onEnded?: (status: string) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [lines, setLines] = useState<LogLine[]>([]);
  const [ended, setEnded] = useState(false);
  const followBroken = useRef(false);
  const onEndedRef = useRef(onEnded);
  onEndedRef.current = onEnded;

  const statusKey = trpc.task.status.queryKey({ upid });
  const status = useQuery({
    ...trpc.task.status.queryOptions({ upid }),
    // The live log says when the task ends; the status is polled as well, slowly, in case the
    // stream is stuck (it then fills in the missing lines, below), and faster once it broke.
    refetchInterval: (q) => (q.state.data?.status === "running" ? (followBroken.current ? 3000 : 5000) : false),
  });

  const follow = useSubscription(
    trpc.task.follow.subscriptionOptions(
      { upid },
      {
        onData: ({ data }) => {
          if (data.type === "line") {
            // Ids make a reconnect resume after the last line; a duplicate is dropped all the same.
            setLines((prev) => (prev.length > 0 && prev[prev.length - 1]!.n >= data.n ? prev : [...prev, { n: data.n, t: data.t }]));
          } else {
            setEnded(true);
            queryClient.setQueryData(statusKey, data.status);
            void queryClient.invalidateQueries({ queryKey: trpc.task.list.pathKey() });
            onEndedRef.current?.(data.status.exitstatus ?? "unknown");
          }
        },
      },
    ),
  );

  followBroken.current = follow.status === "error";

  // The status can say "stopped" before the live stream has delivered the last lines (a slow
  // or stuck stream on a busy server): then fetch what is missing once, so the final line shows.
  const lastN = lines.length > 0 ? lines[lines.length - 1]!.n : 0;
  const lastNRef = useRef(lastN);
  lastNRef.current = lastN;
  const stoppedByStatus = !ended && status.data?.status === "stopped";
  useEffect(() => {
    if (!stoppedByStatus) return;
    let cancelled = false;
    void queryClient
      .fetchQuery({ ...trpc.task.log.queryOptions({ upid, start: lastNRef.current + 1, limit: 0 }), staleTime: 0 })
      .then((rest) => {
        if (cancelled) return;
        setLines((prev) => {
          const have = prev.length > 0 ? prev[prev.length - 1]!.n : 0;
          const missing = rest.data.filter((l) => l.n > have);
          return missing.length > 0 ? [...prev, ...missing] : prev;
        });
      })
      .catch(() => {}); // the stream may still bring them; nothing to show for a failed extra fetch
    return () => {
      cancelled = true;
    };
  }, [stoppedByStatus, queryClient, trpc, upid]);

  const stop = useMutation(
    trpc.task.stop.mutationOptions({
      onSuccess: () => void queryClient.invalidateQueries({ queryKey: statusKey }),
    }),
  );

  const s = status.data;
  const stopping = stop.isPending || (stop.isSuccess && stop.data.signalled);
  const running = !ended && s?.status !== "stopped";
  const now = useNow(running);
  const end = s?.endtime ?? now;
  // The live log may announce the end a moment before the status says so: show Running until then.
  const shownOutcome: TaskOutcome | undefined = s ? (running || s.status !== "stopped" ? { tone: "running", label: "Running" } : s.outcome) : undefined;

  // The Stop button goes away when the task ends; keep the keyboard focus in the dialog.
  const closeButton = useRef<HTMLButtonElement>(null);
  const stopHadFocus = useRef(false);
  useEffect(() => {
    // Where focus goes when its element vanishes: the body, or Radix's trap puts it on the dialog.
    const active = document.activeElement;
    const lost = active === null || active === document.body || active.getAttribute("role") === "dialog";
    if (!running && (stopHadFocus.current || lost)) closeButton.current?.focus();
  }, [running]);

  const download = useCallback(async () => {
    const log = await queryClient.fetchQuery({ ...trpc.task.log.queryOptions({ upid, start: 0, limit: 0 }), staleTime: 0 });
    const text = log.data.map((l) => `${l.t}\n`).join("");
    const url = URL.createObjectURL(new Blob([text], { type: "text/plain;charset=utf-8" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = s ? taskLogFileName(s) : "task.log";
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }, [queryClient, trpc, upid, s]);

  return (
    <>
      {status.isError && <ErrorMessage title="Could not load the task" error={status.error} />}
      {s && shownOutcome && (
        <div className="task-summary">
          <div className="task-summary__status" role="status" aria-label="Task status">
            {running ? <Spinner label="Task running" /> : null}
            <Badge tone={TONE[shownOutcome.tone]}>{shownOutcome.label}</Badge>
            <span className="task-summary__exit">
              {running
                ? stop.isSuccess && stop.data.signalled
                  ? "Stop requested, waiting for the task to end…"
                  : null
                : s.exitstatus === "OK"
                  ? "Finished successfully"
                  : (s.exitstatus ?? "unknown")}
            </span>
          </div>
          {!running && shownOutcome.explanation && <p className="task-summary__explanation">{shownOutcome.explanation}</p>}
          <dl className="task-summary__facts">
            <div>
              <dt>Type</dt>
              <dd>{s.type}</dd>
            </div>
            {s.id && (
              <div>
                <dt>ID</dt>
                <dd>{s.id}</dd>
              </div>
            )}
            <div>
              <dt>User</dt>
              <dd>{s.tokenid ? `${s.user}!${s.tokenid} (API token)` : s.user}</dd>
            </div>
            <div>
              <dt>Started</dt>
              <dd>{formatLocalTime(s.starttime)}</dd>
            </div>
            {!running && s.endtime !== undefined && (
              <div>
                <dt>Ended</dt>
                <dd>{formatLocalTime(s.endtime)}</dd>
              </div>
            )}
            <div>
              <dt>Duration</dt>
              <dd>{formatDuration(end - s.starttime)}</dd>
            </div>
          </dl>
        </div>
      )}
      {follow.error && !ended && <ErrorMessage title="Lost the live log" error={follow.error} />}
      {stop.error && <ErrorMessage title="Could not stop the task" error={stop.error} />}
      <TaskLogView lines={lines} live={running} label={s ? `Log of ${s.description}` : "Task log"} />
      <details className="task-upid">
        <summary>Unique task ID</summary>
        <code>{upid}</code>
      </details>
      <DialogFooter>
        <button type="button" className="button" onClick={() => void download()} disabled={!s}>
          <Icon name="download" />
          Download
        </button>
        {running && (
          <button
            type="button"
            className="button button--danger"
            onFocus={() => (stopHadFocus.current = true)}
            onBlur={(e) => {
              if (e.relatedTarget) stopHadFocus.current = false; // moved on, not vanished
            }}
            // aria-disabled, not disabled: a disabled button drops the keyboard focus.
            aria-disabled={stopping || undefined}
            onClick={() => {
              if (!stopping) stop.mutate({ upid });
            }}
          >
            <Icon name="stop" />
            Stop
          </button>
        )}
        <DialogClose ref={closeButton} className="button button--primary">
          Close
        </DialogClose>
      </DialogFooter>
    </>
  );
}

/** The current time in epoch seconds, ticking once a second while `ticking`. */
function useNow(ticking: boolean): number {
  const [now, setNow] = useState(() => Math.floor(Date.now() / 1000));
  useEffect(() => {
    if (!ticking) return;
    const timer = setInterval(() => setNow(Math.floor(Date.now() / 1000)), 1000);
    return () => clearInterval(timer);
  }, [ticking]);
  return now;
}
