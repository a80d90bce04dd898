import type { Metadata } from "next";
import { Breadcrumbs } from "@/components/Breadcrumbs";
import { TokensPanel } from "@/components/TokensPanel";

export const metadata: Metadata = { title: "API tokens" };

export default function Page() {
  return (
    <>
      <Breadcrumbs items={[{ label: "Administration" }, { label: "API tokens" }]} />
      <div className="page-header">
        <div>
          <h1>API tokens</h1>
          <p className="page-header__description">Tokens let scripts call the API as you, with at most your privileges.</p>
        </div>
      </div>
      <TokensPanel />
    </>
  );
}
