"use client";
/**
 * The datastore's "Start GC" button and its dialog (PBS POST /gc). While a GC runs the button
 * opens that task instead of offering a second one. After starting, the Task Viewer follows the
 * run, and the store's status and GC history reload when it ends.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ActionError } from "./ActionError";
import { Dialog, DialogClose, DialogFooter } from "./Dialog";
import { formatLocalTime } from "./task-format";
import { Icon } from "./Icon";
import { ExplainedButton } from "./ExplainedButton";
import { Spinner } from "./Spinner";
import { TaskViewerDialog } from "./TaskViewerDialog";
import { useTRPC } from "./TrpcProvider";
import "./content.css";
import "./jobs.css";

export function StartGcDialog({ store, onClose, onStarted }: { store: string; onClose(): void; onStarted(upid: string): void }) {
  const trpc = useTRPC();
  const start = useMutation(trpc.gc.start.mutationOptions({ onSuccess: ({ upid }) => onStarted(upid) }));
  return (
    <Dialog
      open
      onOpenChange={(o) => !o && onClose()}
      title="Start Garbage Collection"
      description={`Frees the space of chunks no snapshot in datastore ${store} references any more.`}
    >
      <p className="dialog__text">
        Phase 1 marks every chunk an index references; phase 2 removes the chunks that were not marked and are older than 24 hours
        and 5 minutes (so chunks a running backup just wrote survive). Backups, restores and verification go on meanwhile. Space from
        snapshots deleted or pruned today is freed by a GC tomorrow.
      </p>
      {start.error ? <ActionError title="Garbage collection could not start" error={start.error} /> : null}
      <DialogFooter>
        <DialogClose className="button">Cancel</DialogClose>
        <button type="button" className="button button--primary" onClick={() => start.mutate({ store })} disabled={start.isPending}>
          {start.isPending ? <Spinner label="Starting" /> : null}
          Start GC
        </button>
      </DialogFooter>
    </Dialog>
  );
}

export function GcButton({ store, disabledReason }: { store: string; disabledReason?: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [dialog, setDialog] = useState(false);
  const [upid, setUpid] = useState<string | null>(null);
  const status = useQuery({ ...trpc.gc.status.queryOptions({ store }), retry: false });
  const running = status.data?.running;
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: trpc.gc.pathKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.datastore.status.queryKey({ store }) });
    void queryClient.invalidateQueries({ queryKey: trpc.datastore.gcHistory.queryKey({ store }) });
    void queryClient.invalidateQueries({ queryKey: trpc.datastore.usageHistory.queryKey({ store }) });
  };
  return (
    <>
      {running ? (
        <button type="button" className="button" onClick={() => setUpid(running)} title={`Running since ${formatLocalTime(status.data?.["running-since"] ?? 0)}`}>
          <Spinner label="Garbage collection running" />
          GC running – show task
        </button>
      ) : (
        <ExplainedButton className="button" onClick={() => setDialog(true)} reason={disabledReason}>
          <Icon name="broom" />
          Start GC
        </ExplainedButton>
      )}
      {dialog && (
        <StartGcDialog
          store={store}
          onClose={() => setDialog(false)}
          onStarted={(u) => {
            setDialog(false);
            setUpid(u);
            refresh();
          }}
        />
      )}
      <TaskViewerDialog upid={upid} onClose={() => setUpid(null)} onEnded={refresh} />
    </>
  );
}
