"use client";
/**
 * A datastore's failed jobs at a glance (datastore list, summary): a danger badge with the count
 * that links to the store's Jobs view; nothing when none failed. One query for all stores,
 * shared by every badge on the page.
 */
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { Badge } from "./Badge";
import { Icon } from "./Icon";
import { useTRPC } from "./TrpcProvider";

const POLL_MS = 30_000;

export function JobFailuresBadge({ store }: { store: string }) {
  const trpc = useTRPC();
  const failures = useQuery({ ...trpc.job.failures.queryOptions(), refetchInterval: POLL_MS, staleTime: 10_000 });
  const failed = (failures.data ?? []).filter((f) => f.store === store);
  if (failed.length === 0) return null;
  const names = failed.map((f) => `${f.type} job ${f.id}: ${f["last-run-state"] ?? "failed"}`).join("\n");
  return (
    <Link href={`/datastores/${encodeURIComponent(store)}/jobs`} className="badge-link" title={names}>
      <Badge tone="danger">
        <Icon name="alert" />
        {failed.length === 1 ? "1 job failed" : `${failed.length} jobs failed`}
      </Badge>
    </Link>
  );
}
