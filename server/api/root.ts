/** The API: one router per noun (DESIGN.md section 8). */
import { createCallerFactory, router } from "./init";
import { datastoreRouter } from "./routers/datastore";
import { groupRouter } from "./routers/group";
import { maintenanceRouter } from "./routers/maintenance";
import { moveRouter } from "./routers/move";
import { namespaceRouter } from "./routers/namespace";
import { snapshotRouter } from "./routers/snapshot";
import { taskRouter } from "./routers/task";

export const appRouter = router({
  datastore: datastoreRouter,
  namespace: namespaceRouter,
  group: groupRouter,
  snapshot: snapshotRouter,
  move: moveRouter,
  maintenance: maintenanceRouter,
  task: taskRouter,
});

export type AppRouter = typeof appRouter;

/** Calls procedures without HTTP (router tests, server components). */
export const createCaller = createCallerFactory(appRouter);
