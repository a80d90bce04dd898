"use client";
/**
 * "Refresh cache" of an S3 datastore (PBS's s3-refresh, `coffer datastore refresh`): confirms,
 * starts the task, and follows it in the Task Viewer. The datastore refuses reads and writes
 * while it runs, which is why it asks first.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ActionError } from "./ActionError";
import { Dialog, DialogClose, DialogFooter } from "./Dialog";
import { ExplainedButton } from "./ExplainedButton";
import { Icon } from "./Icon";
import { Spinner } from "./Spinner";
import { TaskViewerDialog } from "./TaskViewerDialog";
import { usePermissions } from "./usePermissions";
import { useTRPC } from "./TrpcProvider";
import "./content.css";

export function RefreshCacheButton({ store }: { store: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const p = usePermissions(`/datastore/${store}`);
  const [confirming, setConfirming] = useState(false);
  const [upid, setUpid] = useState<string | null>(null);
  const refresh = useMutation(
    trpc.datastore.refresh.mutationOptions({
      onSuccess: ({ upid }) => {
        setConfirming(false);
        setUpid(upid);
      },
    }),
  );
  const changed = () => void queryClient.invalidateQueries({ queryKey: trpc.datastore.pathKey() });
  return (
    <>
      <ExplainedButton
        className="button"
        reason={p.missing(`refresh the cache of ${store}`, "Datastore.Modify")}
        onClick={() => setConfirming(true)}
        aria-label={`Refresh the cache of datastore ${store}`}
      >
        <Icon name="refresh" />
        Refresh cache
      </ExplainedButton>
      {confirming ? (
        <Dialog
          open
          onOpenChange={(o) => !o && !refresh.isPending && setConfirming(false)}
          title="Refresh S3 cache"
          description={`Rebuilds the local cache of datastore ${store} from its bucket.`}
        >
          <p className="dialog__text">
            The datastore goes into s3-refresh maintenance: new reads and writes are refused, and the refresh starts once the running
            ones have finished. The mode is cleared when it is done.
          </p>
          {refresh.error ? <ActionError title="The refresh could not start" error={refresh.error} /> : null}
          <DialogFooter>
            <DialogClose className="button" disabled={refresh.isPending}>
              Cancel
            </DialogClose>
            <button type="button" className="button button--primary" onClick={() => refresh.mutate({ store })} disabled={refresh.isPending}>
              {refresh.isPending ? <Spinner label="Starting" /> : null}
              Refresh
            </button>
          </DialogFooter>
        </Dialog>
      ) : null}
      <TaskViewerDialog upid={upid} onClose={() => setUpid(null)} onEnded={changed} />
    </>
  );
}
