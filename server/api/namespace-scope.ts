/**
 * What a caller may see of each namespace of a store, for answers that span namespaces (the
 * datastore summary's counts, the whole-store search): every group with Datastore.Audit there
 * (as group.list), only its own groups with Datastore.Backup, nothing otherwise. Decided per
 * namespace, so that a role on `/datastore/s/prod` and a NoAccess further down both hold.
 */
import { datastoreAclPath, privilegesAt } from "../auth";
import type { NamespaceVisibility } from "../datastore";
import { checkBackupOwner } from "../datastore/model/owner";

export function namespaceVisibility(authId: string, store: string): (ns: string) => NamespaceVisibility {
  return (ns) => {
    const have = privilegesAt(authId, datastoreAclPath(store, ns));
    if (have.has("Datastore.Audit")) return "all";
    return have.has("Datastore.Backup") ? "own" : "none";
  };
}

/** PBS check_backup_owner as a test: the owner is the caller or one of the caller's tokens. */
export function ownedBy(authId: string): (owner: string) => boolean {
  return (owner) => {
    try {
      checkBackupOwner(owner, authId);
      return true;
    } catch {
      return false;
    }
  };
}
