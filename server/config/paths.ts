/**
 * COFFER_HOME paths. They are defined in the engine (server/datastore/state-dirs.ts) because its
 * locks, active operations and move journal live there and the engine must not import upwards;
 * re-exported here for the API, tasks and the CLI.
 */
export { cofferHome, paths } from "../datastore/state-dirs";
