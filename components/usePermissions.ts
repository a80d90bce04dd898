"use client";
/**
 * The current user's privileges on an ACL path (auth.permissions, PBS /access/permissions), to
 * disable what the server would refuse and to say why. Only a courtesy: every call is checked
 * on the server all the same.
 */
import { useQuery } from "@tanstack/react-query";
import type { Privilege } from "@/server/api/types";
import { useTRPC } from "./TrpcProvider";

export interface Permissions {
  /** Still loading: treat everything as not yet known (do not disable, the server decides). */
  loading: boolean;
  privileges: readonly Privilege[];
  has(...any: Privilege[]): boolean;
  /**
   * Why an action needing any of `privileges` is not allowed here, in plain words; undefined
   * when it is allowed (or not known yet).
   */
  missing(what: string, ...privileges: Privilege[]): string | undefined;
}

/** `/datastore/demo`, `/datastore/demo/a/b`: the ACL path of a store's namespace. */
export function datastorePath(store: string, ns = ""): string {
  return ns === "" ? `/datastore/${store}` : `/datastore/${store}/${ns}`;
}

/** The parent namespace (`a/b` -> `a`, `a` -> root). */
export function parentNs(ns: string): string {
  const i = ns.lastIndexOf("/");
  return i === -1 ? "" : ns.slice(0, i);
}

export function usePermissions(path: string): Permissions {
  const trpc = useTRPC();
  const q = useQuery({ ...trpc.auth.permissions.queryOptions({ path }), staleTime: 30_000 });
  const privileges = q.data?.privileges ?? [];
  const has = (...any: Privilege[]) => any.some((p) => privileges.includes(p));
  return {
    loading: !q.isSuccess,
    privileges,
    has,
    missing: (what, ...wanted) =>
      !q.isSuccess || has(...wanted) ? undefined : `You may not ${what}: it needs ${wanted.join(" or ")} on ${path}`,
  };
}
