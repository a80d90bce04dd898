/**
 * Object keys of an S3 datastore (PBS 4.2, reference 1.7): everything under `<store>/`;
 * content (indexes, blobs, owner, notes, markers) under `.cnt/<relative path>`, chunks under
 * `.chunks/<4 hex>/<64 hex>[suffix]`. The local cache mirrors the content layout.
 */
import { CofferError } from "../model/errors";
import { digestHex } from "./chunk-store";

export const S3_CONTENT_PREFIX = ".cnt";
export const S3_CHUNK_PREFIX = ".chunks";

export class S3Keys {
  constructor(readonly store: string) {}

  /** `<store>/.cnt/<rel>`; the empty path is the store's `.cnt/.marker`. */
  content(rel: string): string {
    if (rel.startsWith("/")) throw new CofferError("BAD_REQUEST", "cannot generate object key from absolute path");
    return `${this.store}/${S3_CONTENT_PREFIX}/${rel === "" ? ".marker" : rel}`;
  }

  /** Key prefix of everything below a content directory. */
  contentDir(rel: string): string {
    if (rel.startsWith("/")) throw new CofferError("BAD_REQUEST", "cannot generate object key from absolute path");
    return rel === "" ? `${this.store}/${S3_CONTENT_PREFIX}/` : `${this.store}/${S3_CONTENT_PREFIX}/${rel.replace(/\/+$/, "")}/`;
  }

  /** The relative path of a content key (inverse of `content`); undefined for other keys. */
  contentRel(key: string): string | undefined {
    const p = `${this.store}/${S3_CONTENT_PREFIX}/`;
    return key.startsWith(p) ? key.slice(p.length) : undefined;
  }

  chunk(digest: Uint8Array, suffix = ""): string {
    if (suffix.includes("/")) throw new CofferError("BAD_REQUEST", "invalid suffix containing slashes");
    const hex = digestHex(digest);
    return `${this.store}/${S3_CHUNK_PREFIX}/${hex.slice(0, 4)}/${hex}${suffix}`;
  }

  chunkHex(hex: string, suffix = ""): string {
    if (suffix.includes("/")) throw new CofferError("BAD_REQUEST", "invalid suffix containing slashes");
    return `${this.store}/${S3_CHUNK_PREFIX}/${hex.slice(0, 4)}/${hex}${suffix}`;
  }

  /** `<store>/.chunks/`: where GC lists the stored chunks. */
  chunksPrefix(): string {
    return `${this.store}/${S3_CHUNK_PREFIX}/`;
  }
}
