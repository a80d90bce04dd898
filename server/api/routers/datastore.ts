/** Datastores as configured (PBS GET /config/datastore, /admin/datastore). */
import { z } from "zod";
import { getDatastoreConfig, listDatastoreConfigs, type DatastoreConfig } from "../../config/datastore-config";
import { publicProcedure, router } from "../init";
import { storeNameSchema } from "../schemas";

/** What the console shows of a datastore; the config may carry more (tuning, schedules). */
function summary(config: DatastoreConfig) {
  return {
    name: config.name,
    path: config.path,
    comment: config.comment,
    "maintenance-mode": config["maintenance-mode"],
  };
}

export type DatastoreSummary = ReturnType<typeof summary>;

export const datastoreRouter = router({
  list: publicProcedure.query(async () => (await listDatastoreConfigs()).map(summary)),

  get: publicProcedure
    .input(z.object({ store: storeNameSchema }))
    .query(async ({ input }) => summary(await getDatastoreConfig(input.store))),
});
