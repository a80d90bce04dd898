/** The API: one router per noun (DESIGN.md section 8). */
import { createCallerFactory, router } from "./init";
import { accountRouter } from "./routers/account";
import { aclRouter } from "./routers/acl";
import { authRouter } from "./routers/auth";
import { contentRouter } from "./routers/content";
import { datastoreRouter } from "./routers/datastore";
import { gcRouter } from "./routers/gc";
import { groupRouter } from "./routers/group";
import { jobRouter } from "./routers/job";
import { maintenanceRouter } from "./routers/maintenance";
import { moveRouter } from "./routers/move";
import { namespaceRouter } from "./routers/namespace";
import { pruneRouter } from "./routers/prune";
import { restoreRouter } from "./routers/restore";
import { snapshotRouter } from "./routers/snapshot";
import { taskRouter } from "./routers/task";
import { tokenRouter } from "./routers/token";
import { userRouter } from "./routers/user";
import { verifyRouter } from "./routers/verify";

export const appRouter = router({
  auth: authRouter,
  account: accountRouter,
  user: userRouter,
  token: tokenRouter,
  acl: aclRouter,
  datastore: datastoreRouter,
  namespace: namespaceRouter,
  content: contentRouter,
  group: groupRouter,
  snapshot: snapshotRouter,
  move: moveRouter,
  maintenance: maintenanceRouter,
  task: taskRouter,
  gc: gcRouter,
  verify: verifyRouter,
  prune: pruneRouter,
  restore: restoreRouter,
  job: jobRouter,
});

export type AppRouter = typeof appRouter;

/** Calls procedures without HTTP (router tests, server components). */
export const createCaller = createCallerFactory(appRouter);
