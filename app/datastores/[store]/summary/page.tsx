import type { Metadata } from "next";
import { DatastoreSummary } from "@/components/DatastoreSummary";
import { DatastoreView, storeParam } from "@/components/DatastoreView";

interface Props {
  params: Promise<{ store: string }>;
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: `${storeParam((await params).store)} · Summary` };
}

export default async function DatastoreSummaryPage({ params }: Props) {
  const store = storeParam((await params).store);
  return (
    <DatastoreView store={store} view="Summary">
      <DatastoreSummary key={store} store={store} />
    </DatastoreView>
  );
}
