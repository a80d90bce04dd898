import type { Metadata } from "next";
import { Breadcrumbs } from "@/components/Breadcrumbs";
import { DatastoreFrame } from "@/components/DatastoreFrame";
import { DatastoreSummary } from "@/components/DatastoreSummary";
import { DatastoreTabs } from "@/components/DatastoreTabs";

interface Props {
  params: Promise<{ store: string }>;
}

/** Route params may arrive percent-encoded; a malformed escape must not become a server error. */
function storeParam(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { store } = await params;
  return { title: `${storeParam(store)} · Summary` };
}

export default async function DatastoreSummaryPage({ params }: Props) {
  const store = storeParam((await params).store);
  return (
    <>
      <Breadcrumbs
        items={[
          { label: "Datastores", href: "/datastores" },
          { label: store, href: `/datastores/${encodeURIComponent(store)}` },
          { label: "Summary" },
        ]}
      />
      <DatastoreFrame store={store}>
        <DatastoreTabs store={store} />
        <DatastoreSummary key={store} store={store} />
      </DatastoreFrame>
    </>
  );
}
