/** The API: one router per noun (DESIGN.md section 8). */
import { createCallerFactory, router } from "./init";
import { datastoreRouter } from "./routers/datastore";
import { groupRouter } from "./routers/group";
import { namespaceRouter } from "./routers/namespace";
import { snapshotRouter } from "./routers/snapshot";

export const appRouter = router({
  datastore: datastoreRouter,
  namespace: namespaceRouter,
  group: groupRouter,
  snapshot: snapshotRouter,
});

export type AppRouter = typeof appRouter;

/** Calls procedures without HTTP (router tests, server components). */
export const createCaller = createCallerFactory(appRouter);
