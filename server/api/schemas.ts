/** The engine's input schemas (server/datastore/schemas.ts), as the routers and forms use them. */
export * from "../datastore/schemas";
