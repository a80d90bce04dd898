import type { Metadata } from "next";
import { Breadcrumbs } from "@/components/Breadcrumbs";
import { UsersPanel } from "@/components/UsersPanel";

export const metadata: Metadata = { title: "Users" };

export default function Page() {
  return (
    <>
      <Breadcrumbs items={[{ label: "Administration" }, { label: "Users" }]} />
      <div className="page-header">
        <div>
          <h1>Users</h1>
          <p className="page-header__description">People who can log in to the console (realm pbs).</p>
        </div>
      </div>
      <UsersPanel />
    </>
  );
}
