"use client";
/**
 * A datastore's Jobs view (PBS's Prune & GC and Verify Jobs tabs in one): every scheduled job
 * with its schedule, next run and last run (state and a link to its task log), and actions to
 * add, edit, remove and run now. What the user may not do is disabled with the reason (PBS's
 * privileges: Audit to see, Modify or Prune for prune jobs and the GC schedule, Verify for
 * verify jobs); the server checks again.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { JobStatus } from "@/server/api/types";
import { ActionError } from "./ActionError";
import { Badge } from "./Badge";
import { ConfirmDialog } from "./ConfirmDialog";
import { ErrorMessage } from "./ErrorMessage";
import { ExplainedButton } from "./ExplainedButton";
import { Icon } from "./Icon";
import { GcScheduleDialog, JobDialog } from "./JobDialog";
import type { EditableJobType } from "./job-form";
import { Spinner } from "./Spinner";
import { TaskViewerDialog } from "./TaskViewerDialog";
import { formatLocalTime } from "./task-format";
import { useTRPC } from "./TrpcProvider";
import { datastorePath, usePermissions } from "./usePermissions";
import "./jobs.css";

const POLL_MS = 15_000;
const TYPE_LABEL = { gc: "Garbage collection", prune: "Prune", verify: "Verify" } as const;

function lastRunBadge(j: JobStatus) {
  if (j.running) return <Badge tone="info">Running</Badge>;
  const state = j["last-run-state"];
  if (state === undefined) return j.skipped ? <Badge tone="warning">Skipped</Badge> : <span className="muted">never</span>;
  if (state === "OK") return <Badge tone="success">OK</Badge>;
  if (state.startsWith("WARNINGS")) return <Badge tone="warning">{state}</Badge>;
  return (
    <Badge tone="danger" title={state}>
      Failed
    </Badge>
  );
}

export function JobsView({ store }: { store: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const perms = usePermissions(datastorePath(store));
  const jobs = useQuery({ ...trpc.job.list.queryOptions({ store }), refetchInterval: POLL_MS });
  const [editing, setEditing] = useState<{ type: EditableJobType; job?: JobStatus } | null>(null);
  const [gcOpen, setGcOpen] = useState(false);
  const [removing, setRemoving] = useState<JobStatus | null>(null);
  const [taskUpid, setTaskUpid] = useState<string | null>(null);
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: trpc.job.list.queryKey({ store }) });
    void queryClient.invalidateQueries({ queryKey: trpc.job.failures.queryKey() });
  };
  const started = { onSuccess: ({ upid }: { upid: string }) => (refresh(), setTaskUpid(upid)) };
  const runGc = useMutation(trpc.job.runGc.mutationOptions(started));
  const runPrune = useMutation(trpc.job.runPrune.mutationOptions(started));
  const runVerify = useMutation(trpc.job.runVerify.mutationOptions(started));
  const removePrune = useMutation(trpc.job.removePrune.mutationOptions());
  const removeVerify = useMutation(trpc.job.removeVerify.mutationOptions());
  const setGc = useMutation(trpc.job.setGcSchedule.mutationOptions());
  const runError = runGc.error ?? runPrune.error ?? runVerify.error;

  const why = {
    gc: perms.missing("change the GC schedule", "Datastore.Modify"),
    prune: perms.missing("configure prune jobs", "Datastore.Modify", "Datastore.Prune"),
    verify: perms.missing("configure verify jobs", "Datastore.Verify"),
  };
  const gcJob = jobs.data?.find((j) => j.type === "gc");

  const run = (j: JobStatus) => {
    if (j.type === "gc") runGc.mutate({ store });
    else if (j.type === "prune") runPrune.mutate({ store, id: j.id });
    else runVerify.mutate({ store, id: j.id });
  };

  return (
    <section className="panel jobs-view" aria-labelledby="jobs-title">
      <div className="panel__toolbar">
        <h2 className="panel__title" id="jobs-title">
          Jobs
        </h2>
        <ExplainedButton className="button" reason={why.gc} onClick={() => setGcOpen(true)}>
          <Icon name="broom" />
          {gcJob ? "Change GC schedule" : "Schedule GC"}
        </ExplainedButton>
        <ExplainedButton className="button" reason={why.prune} onClick={() => setEditing({ type: "prune" })}>
          <Icon name="plus" />
          Add prune job
        </ExplainedButton>
        <ExplainedButton className="button" reason={why.verify} onClick={() => setEditing({ type: "verify" })}>
          <Icon name="plus" />
          Add verify job
        </ExplainedButton>
      </div>
      {runError ? <ActionError title="The job could not start" error={runError} /> : null}
      {jobs.isPending ? (
        <div className="empty-state">
          <Spinner label="Loading jobs" />
        </div>
      ) : jobs.isError ? (
        <ErrorMessage title="Could not load the jobs" error={jobs.error} />
      ) : jobs.data.length === 0 ? (
        <p className="empty-state">
          No scheduled jobs. Garbage collection, prune and verify run only when started by hand until you add one here, or with{" "}
          <code>coffer job create</code>.
        </p>
      ) : (
        <div className="table-wrap">
          <table className="data-table data-table--stack" aria-labelledby="jobs-title">
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Type</th>
                <th scope="col">Scope</th>
                <th scope="col">Schedule</th>
                <th scope="col">Next run</th>
                <th scope="col">Last run</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {jobs.data.map((j) => {
                const disabled = "disable" in j && j.disable === true;
                const reason = why[j.type];
                return (
                  <tr key={`${j.type}/${j.id}`}>
                    <td className="nowrap">
                      <strong>{j.id}</strong>
                      {"comment" in j && j.comment ? <div className="muted">{j.comment}</div> : null}
                    </td>
                    <td data-label="Type">{TYPE_LABEL[j.type]}</td>
                    <td data-label="Scope">
                      {j.type === "gc" ? "whole datastore" : `${"ns" in j && j.ns ? j.ns : "root"}${"max-depth" in j && j["max-depth"] !== undefined ? `, depth ${j["max-depth"]}` : ""}`}
                    </td>
                    <td className="mono nowrap" data-label="Schedule">
                      {j.schedule ?? <span className="muted">by hand</span>} {disabled ? <Badge>Disabled</Badge> : null}
                    </td>
                    <td data-label="Next run">{j["next-run"] ? formatLocalTime(j["next-run"]) : <span className="muted">—</span>}</td>
                    <td data-label="Last run">
                      {lastRunBadge(j)} {j["last-run-endtime"] ? <span className="muted">{formatLocalTime(j["last-run-endtime"])}</span> : null}
                      {j["last-run-upid"] ? (
                        <button type="button" className="link-button" onClick={() => setTaskUpid(j["last-run-upid"]!)}>
                          Show task log
                        </button>
                      ) : null}
                      {j.skipped && !j.running ? <div className="muted">{j.skipped}</div> : null}
                    </td>
                    <td className="nowrap data-table__actions">
                      <div className="jobs-view__actions">
                        <ExplainedButton className="button" reason={j.running ? "A run of this job is going on" : reason} onClick={() => run(j)} aria-label={`Run ${j.id} now`}>
                          <Icon name="refresh" />
                          Run now
                        </ExplainedButton>
                        <ExplainedButton
                          className="button"
                          reason={reason}
                          aria-label={`Edit ${j.id}`}
                          onClick={() => (j.type === "gc" ? setGcOpen(true) : setEditing({ type: j.type, job: j }))}
                        >
                          <Icon name="wrench" />
                          Edit
                        </ExplainedButton>
                        <ExplainedButton className="button" reason={reason} aria-label={`Remove ${j.id}`} onClick={() => setRemoving(j)}>
                          <Icon name="trash" />
                          Remove
                        </ExplainedButton>
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {editing ? (
        <JobDialog
          store={store}
          type={editing.type}
          job={editing.job}
          onClose={() => setEditing(null)}
          onSaved={() => (setEditing(null), refresh())}
        />
      ) : null}
      {gcOpen ? <GcScheduleDialog store={store} schedule={gcJob?.schedule} onClose={() => setGcOpen(false)} onSaved={() => (setGcOpen(false), refresh())} /> : null}
      <ConfirmDialog
        open={removing !== null}
        onClose={() => setRemoving(null)}
        title={removing?.type === "gc" ? "Remove GC schedule" : `Remove job ${removing?.id ?? ""}`}
        confirmLabel="Remove"
        onConfirm={() => {
          const j = removing!;
          if (j.type === "gc") return setGc.mutateAsync({ store });
          if (j.type === "prune") return removePrune.mutateAsync({ store, id: j.id });
          return removeVerify.mutateAsync({ store, id: j.id });
        }}
        onDone={() => (setRemoving(null), refresh())}
      >
        <p className="dialog__text">The job stops running on its schedule. Its past tasks and their logs stay.</p>
      </ConfirmDialog>
      <TaskViewerDialog upid={taskUpid} onClose={() => setTaskUpid(null)} onEnded={refresh} />
    </section>
  );
}
