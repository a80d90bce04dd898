import type { Metadata } from "next";
import { AccountView } from "@/components/AccountView";
import { Breadcrumbs } from "@/components/Breadcrumbs";

export const metadata: Metadata = { title: "My account" };

export default function Page() {
  return (
    <>
      <Breadcrumbs items={[{ label: "My account" }]} />
      <div className="page-header">
        <div>
          <h1>My account</h1>
          <p className="page-header__description">Your password, your API tokens, and where you are logged in.</p>
        </div>
      </div>
      <AccountView />
    </>
  );
}
