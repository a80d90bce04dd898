"use client";
/**
 * A datastore's Summary (PBS's Summary tab, plus what PBS leaves out): disk usage, groups and
 * snapshots by type, the last garbage collection and verification with buttons to run them,
 * the maintenance state, then usage over time and the GC history. Polls gently (30 s) and
 * reloads when a task it started ends.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import type { DatastoreStatus } from "@/server/api/types";
import { CompressionDialog } from "./CompressionDialog";
import { contentHref } from "./content-links";
import { Badge, type BadgeTone } from "./Badge";
import { ErrorMessage } from "./ErrorMessage";
import { formatSize } from "./format";
import { GcButton } from "./GcButton";
import { GcHistoryChart } from "./GcHistoryChart";
import { Icon } from "./Icon";
import { JobFailuresBadge } from "./JobFailuresBadge";
import { MaintenanceBadge } from "./MaintenanceBadge";
import { Spinner } from "./Spinner";
import { TaskViewerDialog } from "./TaskViewerDialog";
import { formatLocalTime, type TaskOutcome } from "./task-format";
import { useTRPC } from "./TrpcProvider";
import { datastorePath, usePermissions } from "./usePermissions";
import { UsageBar } from "./UsageBar";
import { UsageChart } from "./UsageChart";
import { VerifyDialog } from "./VerifyDialog";
import "./jobs.css";

const POLL_MS = 30_000;
const TYPES = [
  { key: "vm", label: "VMs" },
  { key: "ct", label: "Containers" },
  { key: "host", label: "Hosts" },
] as const;

function outcomeBadge(o: TaskOutcome | undefined) {
  if (o === undefined) return <Badge>Unknown</Badge>;
  const tone: BadgeTone = o.tone === "running" ? "info" : o.tone;
  return <Badge tone={tone}>{o.label}</Badge>;
}

/** The summary's Maintenance card: the mode and its message, or normal operation. */
function MaintenanceCard({ mode }: { mode: DatastoreStatus["maintenance"] }) {
  return (
    <section className="panel card" aria-labelledby="sum-maint">
      <h2 className="card__title" id="sum-maint">
        Maintenance
      </h2>
      {mode ? (
        <p>
          <MaintenanceBadge mode={mode} /> {mode.message ? `“${mode.message}”` : null}
        </p>
      ) : (
        <p>
          <Badge tone="success">
            <Icon name="check" />
            None
          </Badge>{" "}
          <span className="muted">normal operation</span>
        </p>
      )}
    </section>
  );
}

function ContentCounts({ counts, labelledBy }: { counts: NonNullable<DatastoreStatus["counts"]>; labelledBy: string }) {
  return (
    <table className="data-table card__table" aria-labelledby={labelledBy}>
      <thead>
        <tr>
          <th scope="col">Type</th>
          <th scope="col" className="num">
            Groups
          </th>
          <th scope="col" className="num">
            Snapshots
          </th>
        </tr>
      </thead>
      <tbody>
        {TYPES.map((t) => (
          <tr key={t.key}>
            <th scope="row" className="card__rowhead">
              <Icon name={t.key} /> {t.label}
            </th>
            <td className="num">{counts[t.key].groups}</td>
            <td className="num">{counts[t.key].snapshots}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * The summary for a user whose roles start in namespaces below the store (PBS shows such a
 * user no sizes, GC or verify state): what it may see, and where.
 */
function LimitedSummary({ store, status }: { store: string; status: DatastoreStatus }) {
  const where = status.limitedTo ?? [];
  return (
    <div className="summary">
      <div className="summary__cards">
        <section className="panel card" aria-labelledby="sum-content">
          <h2 className="card__title" id="sum-content">
            Your content
          </h2>
          {status.counts ? (
            <ContentCounts counts={status.counts} labelledBy="sum-content" />
          ) : (
            <p className="muted">{status.unavailable ?? "Not available while the datastore is offline."}</p>
          )}
          <p className="card__note">
            Counted in the namespaces you have access to: {where.map((ns, i) => (
              <span key={ns}>
                {i > 0 ? ", " : null}
                <Link href={contentHref(store, ns)}>{ns}</Link>
              </span>
            ))}{" "}
            and below. Groups without snapshots are not counted.
          </p>
        </section>
        <section className="panel card" aria-labelledby="sum-usage">
          <h2 className="card__title" id="sum-usage">
            Usage
          </h2>
          <p className="muted">
            Disk usage, garbage collection and verification are shown to users with Datastore.Audit (or Datastore.Backup, for sizes)
            on {datastorePath(store)}.
          </p>
        </section>
        <MaintenanceCard mode={status.maintenance} />
      </div>
    </div>
  );
}

export function DatastoreSummary({ store }: { store: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const status = useQuery({ ...trpc.datastore.status.queryOptions({ store }), refetchInterval: POLL_MS });
  // Sizes need Audit or Backup on the store, the GC history Audit (PBS): a user whose roles
  // start in a namespace gets neither, and is not shown errors about them.
  const onStore = usePermissions(datastorePath(store));
  const seesSizes = onStore.has("Datastore.Audit", "Datastore.Backup");
  const usage = useQuery({ ...trpc.datastore.usageHistory.queryOptions({ store }), refetchInterval: POLL_MS, enabled: seesSizes });
  const gcHistory = useQuery({ ...trpc.datastore.gcHistory.queryOptions({ store }), enabled: onStore.has("Datastore.Audit") });
  const [verifyOpen, setVerifyOpen] = useState(false);
  const [compressionOpen, setCompressionOpen] = useState(false);
  const [taskUpid, setTaskUpid] = useState<string | null>(null);

  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: trpc.datastore.status.queryKey({ store }) });
    void queryClient.invalidateQueries({ queryKey: trpc.datastore.gcHistory.queryKey({ store }) });
    void queryClient.invalidateQueries({ queryKey: trpc.gc.pathKey() });
  };

  if (status.isPending) {
    return (
      <div className="panel empty-state">
        <Spinner label="Loading the summary" />
      </div>
    );
  }
  if (status.isError) {
    return (
      <div className="panel">
        <ErrorMessage title={`Could not load the status of '${store}'`} error={status.error} />
      </div>
    );
  }
  const s = status.data;
  if (s.limitedTo) return <LimitedSummary store={store} status={s} />;
  const gc = s["gc-status"];
  const offline = s.maintenance?.type === "offline";
  const writeBlocked = s.maintenance ? `refused in ${s.maintenance.type} maintenance` : undefined;
  const disk = s.total !== undefined && s.used !== undefined && s.avail !== undefined ? { total: s.total, used: s.used, avail: s.avail } : undefined;
  // How backups store new chunks (issue 13): a datastore setting, shown beside its disk use.
  const compressionFact = s.compression ? (
    <>
      <dt>New chunks</dt>
      <dd>
        {s.compression.type === "zstd" ? `zstd level ${s.compression.level}, kept where smaller` : "stored uncompressed"}
        {onStore.has("Datastore.Modify") ? (
          <>
            {" "}
            <button type="button" className="link-button" onClick={() => setCompressionOpen(true)} aria-label={`Change the compression of ${store}`}>
              Change…
            </button>
          </>
        ) : null}
      </dd>
    </>
  ) : null;

  return (
    <div className="summary">
      <div className="summary__alerts">
        <JobFailuresBadge store={store} />
      </div>
      <div className="summary__cards">
        <section className="panel card" aria-labelledby="sum-usage">
          <h2 className="card__title" id="sum-usage">
            Usage
          </h2>
          {disk ? (
            <>
              <UsageBar usage={disk} label={`Disk usage of ${store}`} />
              <dl className="facts card__facts">
                <dt>Used</dt>
                <dd>{formatSize(disk.used)}</dd>
                <dt>Available</dt>
                <dd>{formatSize(disk.avail)}</dd>
                <dt>Total</dt>
                <dd>{formatSize(disk.total)}</dd>
                {compressionFact}
              </dl>
            </>
          ) : (
            <p className="muted">Disk usage unknown.</p>
          )}
          {s.compression && !disk ? <dl className="facts card__facts">{compressionFact}</dl> : null}
          {s.unavailable ? <p className="card__note">{s.unavailable}</p> : null}
        </section>

        <section className="panel card" aria-labelledby="sum-content">
          <h2 className="card__title" id="sum-content">
            Content
          </h2>
          {s.counts ? (
            <ContentCounts counts={s.counts} labelledBy="sum-content" />
          ) : (
            <p className="muted">Not available while the datastore is offline.</p>
          )}
          <p className="card__note">Groups without snapshots are not counted (as PBS counts them); all namespaces included.</p>
        </section>

        <section className="panel card" aria-labelledby="sum-gc">
          <h2 className="card__title" id="sum-gc">
            Garbage collection
          </h2>
          {gc?.upid ? (
            <dl className="facts card__facts">
              <dt>Last run</dt>
              <dd>
                {outcomeBadge(gc["last-run-outcome"])} {gc["last-run-endtime"] ? formatLocalTime(gc["last-run-endtime"]) : null}
              </dd>
              <dt>Removed</dt>
              <dd>
                {formatSize(gc["removed-bytes"])} ({gc["removed-chunks"]} chunks)
              </dd>
              {gc["pending-bytes"] > 0 && (
                <>
                  <dt>Pending</dt>
                  <dd>{formatSize(gc["pending-bytes"])}</dd>
                </>
              )}
              <dt>On disk</dt>
              <dd>
                {formatSize(gc["disk-bytes"])} in {gc["disk-chunks"]} chunks
              </dd>
              <dt>Dedup factor</dt>
              <dd>{(gc["disk-bytes"] > 0 ? gc["index-data-bytes"] / gc["disk-bytes"] : 1).toFixed(2)}</dd>
            </dl>
          ) : (
            <p className="muted">{offline ? "Not available while the datastore is offline." : "No garbage collection has run yet."}</p>
          )}
          <div className="card__actions">
            <GcButton store={store} disabledReason={writeBlocked} />
            {gc?.upid ? (
              <button type="button" className="link-button" onClick={() => setTaskUpid(gc.upid)}>
                Show last GC task
              </button>
            ) : null}
          </div>
        </section>

        <section className="panel card" aria-labelledby="sum-verify">
          <h2 className="card__title" id="sum-verify">
            Verification
          </h2>
          {s.lastVerify ? (
            <dl className="facts card__facts">
              <dt>Last verify</dt>
              <dd>
                {outcomeBadge(s.lastVerify.outcome)} {formatLocalTime(s.lastVerify.endtime)}
              </dd>
              {s.lastVerify.state === "error" && (
                <>
                  <dt>Error</dt>
                  <dd className="card__error">{s.lastVerify.status}</dd>
                </>
              )}
            </dl>
          ) : (
            <p className="muted">No verification has run yet.</p>
          )}
          <div className="card__actions">
            <button
              type="button"
              className="button"
              onClick={() => setVerifyOpen(true)}
              disabled={offline}
              title={offline ? "refused in offline maintenance" : undefined}
            >
              <Icon name="check" />
              Verify all
            </button>
            {s.lastVerify ? (
              <button type="button" className="link-button" onClick={() => setTaskUpid(s.lastVerify!.upid)}>
                Show last verify task
              </button>
            ) : null}
          </div>
        </section>

        <MaintenanceCard mode={s.maintenance} />
      </div>

      {seesSizes && (
        <section className="panel card" aria-label="Usage history">
          {usage.isError ? (
            <ErrorMessage title="Could not load the usage history" error={usage.error} />
          ) : (
            <UsageChart samples={usage.data ?? []} />
          )}
        </section>
      )}
      {onStore.has("Datastore.Audit") && (
        <section className="panel card" aria-label="Garbage collection history">
          {gcHistory.isError ? (
            <ErrorMessage title="Could not load the GC history" error={gcHistory.error} />
          ) : (
            <GcHistoryChart runs={gcHistory.data ?? []} />
          )}
        </section>
      )}

      {verifyOpen && (
        <VerifyDialog
          store={store}
          scope={{ ns: "" }}
          onClose={() => setVerifyOpen(false)}
          onStarted={(upid) => {
            setVerifyOpen(false);
            setTaskUpid(upid);
          }}
        />
      )}
      {compressionOpen && s.compression && (
        <CompressionDialog store={store} current={s.compression} onClose={() => setCompressionOpen(false)} onChanged={refresh} />
      )}
      <TaskViewerDialog upid={taskUpid} onClose={() => setTaskUpid(null)} onEnded={refresh} />
    </div>
  );
}
