"use client";
/**
 * All configured datastores, with their disk usage and maintenance state; the console's start
 * page. Add datastore and each store's Remove need Datastore.Allocate (on /datastore, on the store).
 */
import Link from "next/link";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Fragment, useState } from "react";
import { AddDatastoreDialog } from "./AddDatastoreDialog";
import { RemoveDatastoreDialog } from "./RemoveDatastoreDialog";
import { usePermissions } from "./usePermissions";
import { RefreshCacheButton } from "./RefreshCacheButton";
import { useTRPC } from "./TrpcProvider";
import { ErrorMessage } from "./ErrorMessage";
import { ExplainedButton } from "./ExplainedButton";
import { Icon } from "./Icon";
import { JobFailuresBadge } from "./JobFailuresBadge";
import { MaintenanceBadge } from "./MaintenanceBadge";
import { Spinner } from "./Spinner";
import { UsageBar } from "./UsageBar";

export function DatastoreTable() {
  const trpc = useTRPC();
  const datastores = useQuery(trpc.datastore.list.queryOptions());
  // PBS's datastore list refreshes every 15 s; usage changes slowly, 30 s is plenty.
  const usage = useQuery({ ...trpc.datastore.usage.queryOptions(), refetchInterval: 30_000 });
  const usageOf = (name: string) => usage.data?.find((u) => u.store === name);
  const queryClient = useQueryClient();
  const allocate = usePermissions("/datastore");
  const cannotAdd = allocate.missing("add datastores", "Datastore.Allocate");
  const [adding, setAdding] = useState(false);
  const [removing, setRemoving] = useState<{ name: string; path: string } | null>(null);
  const changed = () => {
    void queryClient.invalidateQueries({ queryKey: trpc.datastore.pathKey() });
  };

  return (
    <section className="panel" aria-labelledby="datastores-title">
      <div className="panel__toolbar">
        <h2 className="panel__title" id="datastores-title">
          Configured datastores
        </h2>
        <button
          type="button"
          className="button"
          onClick={() => {
            void datastores.refetch();
            void usage.refetch();
          }}
          disabled={datastores.isFetching}
        >
          <Icon name="refresh" />
          Reload
        </button>
        <ExplainedButton className="button button--primary" reason={cannotAdd} onClick={() => setAdding(true)}>
          <Icon name="plus" />
          Add datastore
        </ExplainedButton>
      </div>
      {datastores.isPending ? (
        <div className="empty-state">
          <Spinner label="Loading datastores" />
        </div>
      ) : datastores.isError ? (
        <ErrorMessage title="Could not load the datastores" error={datastores.error} />
      ) : datastores.data.length === 0 ? (
        <p className="empty-state">
          No datastores yet. Add one with <em>Add datastore</em>, or with <code>coffer datastore create NAME</code>.
        </p>
      ) : (
        <div className="table-wrap">
          <table className="data-table data-table--stack datastore-table" aria-labelledby="datastores-title">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Path</th>
                <th scope="col">Backend</th>
                <th scope="col">Comment</th>
                <th scope="col">Usage</th>
                <th scope="col">Maintenance</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {datastores.data.map((ds) => (
                <tr key={ds.name}>
                  <td className="datastore-table__name">
                    <Link className="table-link nowrap" href={`/datastores/${encodeURIComponent(ds.name)}`}>
                      {ds.name}
                    </Link>{" "}
                    <JobFailuresBadge store={ds.name} />
                  </td>
                  <td className="mono datastore-table__path" data-label="Path">
                    <PathWithBreaks path={ds.path} />
                  </td>
                  <td data-label="Backend">{ds.backend.type === "s3" ? `S3 (bucket ${ds.backend.bucket}), local cache` : "Local directory"}</td>
                  <td className="truncate" title={ds.comment} data-label="Comment">
                    {ds.comment}
                  </td>
                  <td className="usage-cell" data-label="Usage">
                    {(() => {
                      const u = usageOf(ds.name);
                      if (!u) return usage.isPending ? <Spinner label={`Loading the usage of ${ds.name}`} /> : <span className="muted">—</span>;
                      if ("error" in u) return <span className="muted" title={u.error}>unavailable</span>;
                      // An S3 store's path is its cache: the bar shows the cache's disk.
                      return <UsageBar usage={u} label={`${ds.backend.type === "s3" ? "Cache disk usage" : "Disk usage"} of ${ds.name}`} />;
                    })()}
                  </td>
                  <td data-label="Maintenance">
                    {ds["maintenance-mode"] ? (
                      <MaintenanceBadge mode={ds["maintenance-mode"]} />
                    ) : (
                      <span className="muted">None</span>
                    )}
                  </td>
                  <td className="nowrap data-table__actions">
                    {ds.backend.type === "s3" ? <RefreshCacheButton store={ds.name} /> : null}
                    <RemoveButton store={ds.name} onClick={() => setRemoving({ name: ds.name, path: ds.path })} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {adding ? <AddDatastoreDialog onClose={() => setAdding(false)} onCreated={changed} /> : null}
      {removing ? <RemoveDatastoreDialog store={removing.name} path={removing.path} onClose={() => setRemoving(null)} onRemoved={changed} /> : null}
    </section>
  );
}

/** Remove needs Datastore.Allocate on the store (PBS DELETE /config/datastore/{name}). */
function RemoveButton({ store, onClick }: { store: string; onClick(): void }) {
  const p = usePermissions(`/datastore/${store}`);
  return (
    <ExplainedButton className="button" reason={p.missing(`remove ${store}`, "Datastore.Allocate")} onClick={onClick} aria-label={`Remove datastore ${store}`}>
      <Icon name="trash" />
      Remove
    </ExplainedButton>
  );
}

/** A path that may break after each `/` when the column is narrow (not inside a name). */
function PathWithBreaks({ path }: { path: string }) {
  return path.split("/").map((part, i) => (
    <Fragment key={i}>
      {i > 0 ? (
        <>
          /<wbr />
        </>
      ) : null}
      {part}
    </Fragment>
  ));
}
