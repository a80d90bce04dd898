"use client";
/**
 * The console's tRPC client: React Query plus the typed `useTRPC()` hook. Subscriptions (live
 * task logs, maintenance drain) go over SSE with httpSubscriptionLink; everything else is
 * batched over HTTP. Only the router's *type* is imported, so no server code reaches the bundle.
 */
import { QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { useState, type ReactNode } from "react";
import type { AppRouter } from "@/server/api/types";

const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();

export { useTRPC };

const url = "/api/trpc";

/**
 * A session that ended (expired, logged out elsewhere, user disabled) shows up as UNAUTHORIZED
 * on the next query: go to the login page, and come back here afterwards.
 */
function onQueryError(error: unknown) {
  const code = (error as { data?: { code?: string } } | null)?.data?.code;
  if (code !== "UNAUTHORIZED" || typeof window === "undefined" || window.location.pathname === "/login") return;
  const next = `${window.location.pathname}${window.location.search}`;
  window.location.assign(`/login?next=${encodeURIComponent(next)}`);
}

function makeQueryClient() {
  return new QueryClient({
    queryCache: new QueryCache({ onError: onQueryError }),
    defaultOptions: {
      queries: {
        // The content of a store changes under the console (CLI, tasks); refetch on focus, but
        // do not hammer the disk while the user clicks around.
        staleTime: 10_000,
        // A missing store or a store in maintenance will not appear by retrying.
        retry: (failureCount, error) => failureCount < 2 && !isClientError(error),
      },
    },
  });
}

function isClientError(error: unknown): boolean {
  const status = (error as { data?: { httpStatus?: number } } | null)?.data?.httpStatus;
  return typeof status === "number" && status >= 400 && status < 500;
}

export function TrpcProvider({ children }: { children: ReactNode }) {
  const [queryClient] = useState(makeQueryClient);
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({
      links: [
        splitLink({
          condition: (op) => op.type === "subscription",
          true: httpSubscriptionLink({ url }),
          false: httpBatchLink({ url }),
        }),
      ],
    }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}
