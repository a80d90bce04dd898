/**
 * The API's types for the console (components import these and the engine's pure model, and
 * nothing else from the server: a dependency rule in `npm test` checks it). Types only: nothing
 * here reaches the browser bundle.
 */
export type { AppRouter } from "./root";
export type { Privilege } from "../auth";
export type { GcHistoryEntry, GroupSort, MovePlan, PlannedGroup, SearchHit } from "../datastore";
export type { TaskOutcome, TaskOutcomeTone } from "../tasks";
export type { CofferErrorData } from "./error-data";
export type { DatastoreStatus } from "./routers/datastore";
export type { JobStatus } from "../jobs";
