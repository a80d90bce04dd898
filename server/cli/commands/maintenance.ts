import { setMaintenanceMode } from "../../config/datastore-config";
import { checkDatastoreName } from "../../datastore/model/names";
import { checkMaintenanceMessage } from "../../datastore/model/maintenance";
import { maintenanceStatus } from "../../datastore";
import type { MaintenanceType } from "../../datastore/model/types";
import type { Command } from "../command";
import { STORE, req, str } from "../command";
import { UsageError } from "../args";
import { emit } from "../output";

function show(store: string) {
  checkDatastoreName(store);
  return maintenanceStatus(store);
}

export const maintenanceCommands: Command[] = [
  {
    path: ["maintenance", "set"],
    summary: "Put a datastore into read-only or offline maintenance",
    description:
      "Put a datastore into maintenance: read-only refuses writes (backups, moves, deletes) and allows reads; offline refuses both. " +
      "Operations already running go on; 'coffer maintenance show' counts them.",
    spec: {
      positionals: [STORE, { name: "mode", metavar: "read-only|offline", description: "read-only refuses writes, offline refuses reads too" }],
      options: { message: { type: "string", metavar: "TEXT", description: "why, shown to users (at most 64 characters, no control characters)" } },
    },
    async run(args, format) {
      const store = req(args, "store");
      checkDatastoreName(store);
      const mode = req(args, "mode");
      if (mode !== "read-only" && mode !== "offline") {
        throw new UsageError(`invalid maintenance mode '${mode}': use read-only or offline ('coffer maintenance clear' ends maintenance)`);
      }
      const message = str(args, "message");
      if (message !== undefined) checkMaintenanceMessage(message);
      await setMaintenanceMode(store, { type: mode as MaintenanceType, message: message || undefined });
      const state = await show(store);
      emit(format, state, () => {
        const busy = state["active-operations"].read + state["active-operations"].write;
        process.stdout.write(
          `datastore '${store}' is now in ${mode} maintenance${message ? `: ${message}` : ""}\n` +
            (busy > 0
              ? `active operations still running: read ${state["active-operations"].read}, write ${state["active-operations"].write}\n`
              : "no active operations\n"),
        );
      });
    },
  },
  {
    path: ["maintenance", "clear"],
    summary: "End maintenance: the datastore is available again",
    spec: { positionals: [STORE], options: {} },
    async run(args, format) {
      const store = req(args, "store");
      checkDatastoreName(store);
      await setMaintenanceMode(store, undefined);
      emit(format, await show(store), () => process.stdout.write(`datastore '${store}' is no longer in maintenance\n`));
    },
  },
  {
    path: ["maintenance", "show"],
    summary: "Show the maintenance mode and the running operations",
    spec: { positionals: [STORE], options: {} },
    async run(args, format) {
      const state = await show(req(args, "store"));
      emit(format, state, () => {
        const ops = state["active-operations"];
        process.stdout.write(
          `mode: ${state.mode ?? "none"}\n` +
            (state.message ? `message: ${state.message}\n` : "") +
            `active operations: read ${ops.read}, write ${ops.write}\n`,
        );
      });
    },
  },
];
