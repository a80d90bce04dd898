import type { Metadata } from "next";
import { Breadcrumbs } from "@/components/Breadcrumbs";
import { ContentTree } from "@/components/ContentTree";
import { DatastoreFrame } from "@/components/DatastoreFrame";
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
  return { title: `${storeParam(store)} · Content` };
}

export default async function DatastorePage({ params }: Props) {
  const store = storeParam((await params).store);
  return (
    <>
      <Breadcrumbs
        items={[
          { label: "Datastores", href: "/datastores" },
          { label: store, href: `/datastores/${encodeURIComponent(store)}` },
          { label: "Content" },
        ]}
      />
      <DatastoreFrame store={store}>
        <DatastoreTabs store={store} />
        {/* Keyed by store so that expansion state never leaks from one store to another. */}
        <ContentTree key={store} store={store} />
      </DatastoreFrame>
    </>
  );
}
