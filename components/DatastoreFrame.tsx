"use client";
/**
 * The frame of a datastore's pages: its name, maintenance state, path and comment, then the
 * page's body. A store that does not exist gets one clear message instead of a body full of
 * errors. (Later pages of a store, such as maintenance and tasks, render inside this frame.)
 */
import Link from "next/link";
import type { ReactNode } from "react";
import { useQuery } from "@tanstack/react-query";
import type { MaintenanceMode } from "@/server/datastore/model/types";
import { useTRPC } from "./TrpcProvider";
import { ErrorMessage } from "./ErrorMessage";
import { Icon } from "./Icon";
import { MaintenanceBadge } from "./MaintenanceBadge";
import { MaintenanceStatus } from "./MaintenanceStatus";

/** What each mode means for the people using the store (PBS maintenance matrix). */
function maintenanceNotice(mode: MaintenanceMode): string {
  switch (mode.type) {
    case "read-only":
      return "Read-only maintenance: browsing, restores and verification work; backups and changes are refused.";
    case "offline":
      return "Offline maintenance: the datastore cannot be read or changed until the mode is cleared.";
    default:
      return `Maintenance (${mode.type}): the datastore is not available for normal use.`;
  }
}

export function DatastoreFrame({ store, children }: { store: string; children: ReactNode }) {
  const trpc = useTRPC();
  const config = useQuery(trpc.datastore.get.queryOptions({ store }));
  const mode = config.data?.["maintenance-mode"];
  const missing = config.error?.data?.code === "NOT_FOUND";

  if (missing) {
    return (
      <>
        <div className="page-header">
          <h1>{store}</h1>
        </div>
        <div className="panel">
          <ErrorMessage title="Datastore not found" error={config.error} />
          <p className="panel__body">
            <Link href="/datastores">Back to the datastores</Link>
          </p>
        </div>
      </>
    );
  }

  return (
    <>
      <div className="page-header">
        <div>
          <h1>
            {store}
            <MaintenanceBadge mode={mode} />
          </h1>
          {config.data && (
            <p className="page-header__description">
              <span className="visually-hidden">Path: </span>
              <code>{config.data.path}</code>
              {config.data.comment ? <> · {config.data.comment}</> : null}
            </p>
          )}
        </div>
        <MaintenanceStatus store={store} />
      </div>
      {config.isError && (
        <div className="page-notice">
          <ErrorMessage title={`Could not load the configuration of '${store}'`} error={config.error} />
        </div>
      )}
      {mode && (
        <div className="page-notice alert alert--warning" role="status">
          <Icon name="wrench" />
          <div>
            <p className="alert__title">{maintenanceNotice(mode)}</p>
            {mode.message && <p className="alert__body">Message: {mode.message}</p>}
          </div>
        </div>
      )}
      {children}
    </>
  );
}
