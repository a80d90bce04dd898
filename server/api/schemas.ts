/** The engine's input schemas (server/datastore/model/schemas.ts), as the routers and forms use them. */
export * from "../datastore/model/schemas";
