/**
 * Changing a datastore's options after it was created (PBS `datastore update` / PUT
 * /config/datastore/{name}): its comment and how backups compress new chunks. A change applies
 * to backups that start afterwards; chunks already written stay as they are (both kinds are read
 * alike, docs/compression.md).
 */
import { type DatastoreConfig, updateDatastoreConfigs } from "../config/datastore-config";
import { checkCompressionPair } from "./model/compression";
import { checkDatastoreComment } from "./model/datastore-create";
import { badRequest, CofferError } from "./model/errors";

export interface DatastoreOptionsChange {
  /** The new comment; "" removes it. */
  comment?: string;
  compression?: string;
  /** zstd level; with compression zstd, whether given here or already set. */
  compressionLevel?: number;
}

/** Applies `change` under the datastore config's lock; returns the datastore's new entry. */
export async function updateDatastoreOptions(name: string, change: DatastoreOptionsChange): Promise<DatastoreConfig> {
  if (change.comment === undefined && change.compression === undefined && change.compressionLevel === undefined) {
    throw badRequest("nothing to change: give a comment, a compression (zstd or none) or a compression level");
  }
  if (change.comment !== undefined && change.comment !== "") checkDatastoreComment(change.comment);
  checkCompressionPair(change.compression, change.compressionLevel);
  const list = await updateDatastoreConfigs((current) => {
    const entry = current.find((d) => d.name === name);
    if (!entry) throw new CofferError("NOT_FOUND", `no such datastore '${name}'`);
    if (change.comment !== undefined) {
      if (change.comment === "") delete entry.comment;
      else entry.comment = change.comment;
    }
    // zstd is the default: it is left out of the config, as at creation.
    if (change.compression === "none") {
      entry.compression = "none";
      delete entry["compression-level"];
    } else if (change.compression === "zstd") {
      delete entry.compression;
    }
    if (change.compressionLevel !== undefined) {
      if (entry.compression === "none") {
        throw badRequest(`datastore '${name}' stores chunks uncompressed: set compression zstd to use a level`);
      }
      entry["compression-level"] = change.compressionLevel;
    }
    return current;
  });
  return list.find((d) => d.name === name)!;
}
