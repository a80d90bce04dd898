import type { Metadata } from "next";
import { Breadcrumbs } from "@/components/Breadcrumbs";
import { PermissionsPanel } from "@/components/PermissionsPanel";

export const metadata: Metadata = { title: "Permissions" };

export default function Page() {
  return (
    <>
      <Breadcrumbs items={[{ label: "Administration" }, { label: "Permissions" }]} />
      <div className="page-header">
        <div>
          <h1>Permissions</h1>
          <p className="page-header__description">Who may do what where: a role on an ACL path, for a user or an API token.</p>
        </div>
      </div>
      <PermissionsPanel />
    </>
  );
}
