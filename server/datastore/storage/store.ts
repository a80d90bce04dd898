/**
 * What engine functions need to know about an open datastore: its name (for lock paths and
 * messages) and its content backend. Handles (open.ts) wrap a Store; engine modules take one.
 */
import type { DatastoreBackend } from "./backend";

export interface Store {
  readonly name: string;
  readonly backend: DatastoreBackend;
}
