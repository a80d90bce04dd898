import type { Metadata } from "next";
import { Breadcrumbs } from "@/components/Breadcrumbs";
import { DatastoreTable } from "@/components/DatastoreTable";

export const metadata: Metadata = { title: "Datastores" };

export default function DatastoresPage() {
  return (
    <>
      <Breadcrumbs items={[{ label: "Datastores" }]} />
      <div className="page-header">
        <div>
          <h1>Datastores</h1>
          <p className="page-header__description">
            Deduplicating backup stores in the Proxmox Backup Server format.
          </p>
        </div>
      </div>
      <DatastoreTable />
    </>
  );
}
