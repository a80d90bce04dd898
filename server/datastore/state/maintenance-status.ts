/**
 * What `coffer maintenance show --output-format json` prints and the console's maintenance query
 * returns (DESIGN.md 9): the mode, its message and the running read and write operations. Read
 * through a lookup handle, so watching a store never counts as an operation on it.
 */
import { openDatastore } from "../open";
import type { ActiveOperationCounts, MaintenanceType } from "../model/types";

export interface MaintenanceStatus {
  mode: MaintenanceType | null;
  message: string | null;
  "active-operations": ActiveOperationCounts;
}

export async function maintenanceStatus(store: string): Promise<MaintenanceStatus> {
  const ds = await openDatastore(store, "lookup");
  try {
    const mode = ds.maintenance;
    return {
      mode: mode?.type ?? null,
      message: mode?.message ?? null,
      "active-operations": await ds.activeOperations(),
    };
  } finally {
    await ds.close();
  }
}
