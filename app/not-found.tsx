import Link from "next/link";
import { Breadcrumbs } from "@/components/Breadcrumbs";

export default function NotFound() {
  return (
    <>
      <Breadcrumbs items={[{ label: "Datastores", href: "/datastores" }, { label: "Not found" }]} />
      <div className="page-header">
        <div>
          <h1>Page not found</h1>
          <p className="page-header__description">
            There is nothing at this address. <Link href="/datastores">Back to the datastores</Link>.
          </p>
        </div>
      </div>
    </>
  );
}
