import type { Metadata } from "next";
import { DatastoreView, storeParam } from "@/components/DatastoreView";
import { JobsView } from "@/components/JobsView";

interface Props {
  params: Promise<{ store: string }>;
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: `${storeParam((await params).store)} · Jobs` };
}

export default async function DatastoreJobsPage({ params }: Props) {
  const store = storeParam((await params).store);
  return (
    <DatastoreView store={store} view="Jobs">
      <JobsView key={store} store={store} />
    </DatastoreView>
  );
}
