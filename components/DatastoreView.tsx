import type { ReactNode } from "react";
import { Breadcrumbs } from "./Breadcrumbs";
import { DatastoreFrame } from "./DatastoreFrame";
import { DatastoreTabs } from "./DatastoreTabs";

/** The chrome every view of one datastore shares: breadcrumbs, the store's header and its tabs. */
export function DatastoreView({ store, view, children }: { store: string; view: string; children: ReactNode }) {
  return (
    <>
      <Breadcrumbs
        items={[
          { label: "Datastores", href: "/datastores" },
          { label: store, href: `/datastores/${encodeURIComponent(store)}` },
          { label: view },
        ]}
      />
      <DatastoreFrame store={store}>
        <DatastoreTabs store={store} />
        {children}
      </DatastoreFrame>
    </>
  );
}

/** Route params may arrive percent-encoded; a malformed escape must not become a server error. */
export function storeParam(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
