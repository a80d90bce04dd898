"use client";
/** All configured datastores, with their maintenance state; the console's start page. */
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "./TrpcProvider";
import { ErrorMessage } from "./ErrorMessage";
import { Icon } from "./Icon";
import { MaintenanceBadge } from "./MaintenanceBadge";
import { Spinner } from "./Spinner";

export function DatastoreTable() {
  const trpc = useTRPC();
  const datastores = useQuery(trpc.datastore.list.queryOptions());

  return (
    <section className="panel" aria-labelledby="datastores-title">
      <div className="panel__toolbar">
        <h2 className="panel__title" id="datastores-title">
          Configured datastores
        </h2>
        <button
          type="button"
          className="button"
          onClick={() => void datastores.refetch()}
          disabled={datastores.isFetching}
        >
          <Icon name="refresh" />
          Reload
        </button>
      </div>
      {datastores.isPending ? (
        <div className="empty-state">
          <Spinner label="Loading datastores" />
        </div>
      ) : datastores.isError ? (
        <ErrorMessage title="Could not load the datastores" error={datastores.error} />
      ) : datastores.data.length === 0 ? (
        <p className="empty-state">
          No datastores yet. Create one with <code>coffer datastore create NAME</code>.
        </p>
      ) : (
        <div className="table-wrap">
          <table className="data-table" aria-labelledby="datastores-title">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Path</th>
                <th scope="col">Comment</th>
                <th scope="col">Maintenance</th>
              </tr>
            </thead>
            <tbody>
              {datastores.data.map((ds) => (
                <tr key={ds.name}>
                  <td className="nowrap">
                    <Link className="table-link" href={`/datastores/${encodeURIComponent(ds.name)}`}>
                      {ds.name}
                    </Link>
                  </td>
                  <td className="mono">{ds.path}</td>
                  <td className="truncate" title={ds.comment}>
                    {ds.comment}
                  </td>
                  <td>
                    {ds["maintenance-mode"] ? (
                      <MaintenanceBadge mode={ds["maintenance-mode"]} />
                    ) : (
                      <span className="muted">None</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
