"use client";
/**
 * A datastore's maintenance state beside its name, with the operations that still conflict
 * with it draining away live (PBS's Options row, reference 7.4, but pushed over SSE instead of
 * polled): a spinner and `N conflicting operations still active`, then a checkmark and
 * `No conflicting operations` once it is safe to work on the store. Read-only conflicts with
 * writes; offline (and the system-set modes) with reads and writes. Also opens the dialog.
 */
import { useQuery } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useState } from "react";
import type { ActiveOperationCounts, MaintenanceType } from "@/server/datastore/model/types";
import { Icon } from "./Icon";
import { MaintenanceDialog } from "./MaintenanceDialog";
import { useTRPC } from "./TrpcProvider";

const MODE_LABELS: Record<MaintenanceType, string> = {
  "read-only": "Read-only",
  offline: "Offline",
  delete: "Being deleted",
  unmount: "Unmounting",
  "s3-refresh": "Refreshing from S3",
};

/** PBS: write, plus read unless the mode is read-only. */
export function conflictingOperations(mode: MaintenanceType | null, counts: ActiveOperationCounts): number {
  if (mode === null) return 0;
  return mode === "read-only" ? counts.write : counts.read + counts.write;
}

export function MaintenanceStatus({ store }: { store: string }) {
  const trpc = useTRPC();
  const [editing, setEditing] = useState(false);
  const [counts, setCounts] = useState<ActiveOperationCounts | undefined>(undefined);
  // The mode can also change from the CLI: look again now and then (PBS's datastore list: 15 s).
  const state = useQuery({ ...trpc.maintenance.get.queryOptions({ store }), refetchInterval: 15_000 });
  const mode = state.data?.mode ?? null;

  // Watch only while it matters: in maintenance, or while the dialog is open.
  const watching = state.isSuccess && (mode !== null || editing);
  const live = useSubscription(
    trpc.maintenance.activeOperations.subscriptionOptions(
      { store },
      { enabled: watching, onData: (data) => setCounts(data) },
    ),
  );
  const known = watching ? counts : undefined;

  if (!state.isSuccess) return null;
  const conflicts = known ? conflictingOperations(mode, known) : undefined;

  return (
    <div className="maintenance-status">
      <span className="maintenance-status__mode">
        <Icon name="wrench" />
        Maintenance: <strong>{mode ? MODE_LABELS[mode] : "None"}</strong>
      </span>
      {mode !== null && (
        <span className="maintenance-status__drain" role="status" aria-label="Conflicting operations">
          {live.error ? (
            <span className="maintenance-status__error">Cannot watch the active operations: {live.error.message}</span>
          ) : conflicts === undefined ? (
            <>
              <span className="spinner" aria-hidden="true" />
              Counting active operations…
            </>
          ) : conflicts > 0 ? (
            <>
              <span className="spinner" aria-hidden="true" />
              {conflicts} conflicting operation{conflicts === 1 ? "" : "s"} still active
            </>
          ) : (
            <>
              <Icon name="check" className="maintenance-status__check" />
              No conflicting operations
            </>
          )}
        </span>
      )}
      <button type="button" className="button" onClick={() => setEditing(true)}>
        Maintenance mode…
      </button>
      <MaintenanceDialog
        store={store}
        open={editing}
        onOpenChange={setEditing}
        current={{ mode, message: state.data.message }}
        counts={known}
      />
    </div>
  );
}
