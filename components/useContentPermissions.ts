"use client";
/**
 * Why the current user may not use a content row's actions (PBS's rules, reference
 * pbs-api-ui.md 3): Datastore.Modify allows everything in a namespace; Backup (notes, protect,
 * verify) or Prune (move, delete, prune) allow it only for groups the user owns. Namespaces are
 * created, moved and deleted with Modify on their parent. Undefined: allowed (or still loading:
 * the server decides, as it always does).
 */
import type { Privilege } from "@/server/api/types";
import { datastorePath, parentNs, usePermissions, type Permissions } from "./usePermissions";
import { useSession } from "./useSession";
import { useContentTree } from "./useContentTree";

/** PBS check_backup_owner: the owner is the user, or one of the user's tokens. */
function isOwner(authId: string | null, owner: string | undefined): boolean {
  if (!authId || !owner) return false;
  return owner === authId || (owner.startsWith(`${authId}!`) && !authId.includes("!"));
}

function reason(p: Permissions, path: string, what: string, full: Privilege, limited: Privilege | undefined, owns: boolean): string | undefined {
  if (p.loading || p.has(full)) return undefined;
  if (limited && p.has(limited)) return owns ? undefined : `not your group: to ${what} needs ${full} on ${path}`;
  return `needs ${full}${limited ? ` (or ${limited} as the owner)` : ""} on ${path}`;
}

/** For the rows of a group or snapshot in `ns` owned by `owner`. */
export function useBackupPermissions(ns: string, owner: string | undefined) {
  const { store } = useContentTree();
  const { authId } = useSession();
  const path = datastorePath(store, ns);
  const p = usePermissions(path);
  const owns = isOwner(authId, owner);
  return {
    notes: (what = "edit the notes") => reason(p, path, what, "Datastore.Modify", "Datastore.Backup", owns),
    protect: () => reason(p, path, "change protection", "Datastore.Modify", "Datastore.Backup", owns),
    /** PBS change-owner: Modify, or Backup as the owner (then only to the owner's own tokens). */
    changeOwner: () => reason(p, path, "change the owner", "Datastore.Modify", "Datastore.Backup", owns),
    /** True when only ownership lets the caller act here (no Modify). */
    ownerOnly: !p.loading && !p.has("Datastore.Modify"),
    move: () => reason(p, path, "move this group", "Datastore.Modify", "Datastore.Prune", owns),
    remove: (what: string) => reason(p, path, `delete this ${what}`, "Datastore.Modify", "Datastore.Prune", owns),
    prune: () => reason(p, path, "prune this group", "Datastore.Modify", "Datastore.Prune", owns),
    verify: () => reason(p, path, "verify this", "Datastore.Verify", "Datastore.Backup", owns),
    restore: () => reason(p, path, "download from this snapshot", "Datastore.Read", "Datastore.Backup", owns),
  };
}

/** For a namespace row: create below it (Modify on it), move and delete it (Modify on its parent). */
export function useNamespacePermissions(ns: string) {
  const { store } = useContentTree();
  const here = datastorePath(store, ns);
  const parent = datastorePath(store, parentNs(ns));
  const onNs = usePermissions(here);
  const onParent = usePermissions(parent);
  return {
    create: () => reason(onNs, here, "create namespaces here", "Datastore.Modify", undefined, false),
    move: () => (ns === "" ? undefined : reason(onParent, parent, "move this namespace", "Datastore.Modify", undefined, false)),
    remove: () => (ns === "" ? undefined : reason(onParent, parent, "delete this namespace", "Datastore.Modify", undefined, false)),
    verify: () => reason(onNs, here, "verify this namespace", "Datastore.Verify", undefined, false),
  };
}
