import type { Metadata } from "next";
import { ContentTree } from "@/components/ContentTree";
import { DatastoreView, storeParam } from "@/components/DatastoreView";

interface Props {
  params: Promise<{ store: string }>;
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: `${storeParam((await params).store)} · Content` };
}

export default async function DatastorePage({ params }: Props) {
  const store = storeParam((await params).store);
  return (
    <DatastoreView store={store} view="Content">
      {/* Keyed by store so that expansion state never leaks from one store to another. */}
      <ContentTree key={store} store={store} />
    </DatastoreView>
  );
}
