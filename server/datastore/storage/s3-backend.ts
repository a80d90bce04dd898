/**
 * The S3 datastore backend (PBS 4.2, reference 1.7 and 5.5): the datastore directory is a local
 * cache in the regular layout, and the bucket holds the truth. Reads come from the cache (chunks:
 * cache first, then the bucket; see s3-chunk-store.ts). Every content write goes to the bucket
 * first and then to the cache, so that a failed upload changes nothing locally and the cache
 * never holds what the bucket lacks:
 * - blobs, manifests, owner and notes: uploaded, then written locally (PBS: "upload with replace
 *   semantics first");
 * - index files: written locally as on a local store, uploaded when the writer commits them, so
 *   the manifest (written last, when the backup finishes) never names an index that is not up;
 * - moves: every object copied server-side, the cache directory renamed, the sources deleted
 *   (reference 4.6); a source delete that fails is a warning, as in PBS;
 * - deletes: the objects, then the cache;
 * - namespaces: an empty `.cnt/<ns path>/.namespace` marker object, so that a refresh brings
 *   back empty namespaces too.
 * `refreshCache` (s3-refresh maintenance) rebuilds the cache from the bucket.
 */
import { readFileSync } from "node:fs";
import type { ChunkBackend, DatastoreBackend, EntryInfo, StatInfo } from "./backend";
import { LocalBackend } from "./local-backend";
import type { S3ChunkStore } from "./s3-chunk-store";
import type { S3ObjectClient } from "./s3-client";
import type { S3Keys } from "./s3-keys";
import { GC_STATUS_FILE } from "./layout";
import type { IndexFile } from "../format/index-file";
import { CofferError, errorMessage } from "../model/errors";

const NAMESPACE_MARKER = ".namespace";
/** A namespace directory: `ns/<a>/ns/<b>...` from the root, nothing else (a group `vm/ns` is not one). */
const NAMESPACE_DIR_RE = /^(ns\/[^/]+\/)*ns\/[^/]+$/;
/** Files that stay local: GC's status is this host's record, not datastore content. */
const LOCAL_ONLY = new Set([GC_STATUS_FILE]);

export class S3Backend implements DatastoreBackend {
  readonly kind = "s3" as const;
  readonly base: string;
  readonly chunks: ChunkBackend;
  private readonly cache: LocalBackend;

  constructor(
    base: string,
    readonly chunkStore: S3ChunkStore,
    readonly client: S3ObjectClient,
    readonly keys: S3Keys,
    /** Where warnings go that PBS logs and carries on after (orphaned source objects of a move). */
    private readonly warn: (msg: string) => void = (msg) => console.warn(msg),
  ) {
    this.base = base;
    this.chunks = chunkStore;
    this.cache = new LocalBackend(base, chunkStore);
  }

  absolute(rel: string): string {
    return this.cache.absolute(rel);
  }

  relative(absolute: string): string | undefined {
    return this.cache.relative(absolute);
  }

  readFile(rel: string): Promise<Buffer> {
    return this.cache.readFile(rel);
  }

  readFileIfExists(rel: string): Promise<Buffer | undefined> {
    return this.cache.readFileIfExists(rel);
  }

  list(rel: string, options?: { missingOk?: boolean }): Promise<EntryInfo[]> {
    return this.cache.list(rel, options);
  }

  stat(rel: string): Promise<StatInfo | undefined> {
    return this.cache.stat(rel);
  }

  statEntries(dirRel: string, names: readonly string[]): Promise<(StatInfo | undefined)[]> {
    return this.cache.statEntries(dirRel, names);
  }

  exists(rel: string): Promise<boolean> {
    return this.cache.exists(rel);
  }

  readIndexForGc(rel: string): Promise<Buffer | undefined> {
    return this.cache.readIndexForGc(rel);
  }

  async writeFileAtomic(rel: string, data: Uint8Array | string): Promise<void> {
    if (!LOCAL_ONLY.has(rel)) await this.client.put(this.keys.content(rel), data);
    await this.cache.writeFileAtomic(rel, data);
  }

  /** Exclusive locally (O_EXCL; the bucket has no create-if-absent here), then uploaded. */
  async createFileExclusive(rel: string, data: Uint8Array | string): Promise<void> {
    await this.cache.createFileExclusive(rel, data);
    try {
      await this.client.put(this.keys.content(rel), data);
    } catch (err) {
      await this.cache.unlink(rel, { missingOk: true });
      throw err;
    }
  }

  async mkdir(rel: string, options?: { recursive?: boolean }): Promise<boolean> {
    if (NAMESPACE_DIR_RE.test(rel)) await this.client.put(this.keys.contentDir(rel) + NAMESPACE_MARKER, "");
    return this.cache.mkdir(rel, options);
  }

  async rmdir(rel: string): Promise<void> {
    await this.cache.rmdir(rel);
    if (NAMESPACE_DIR_RE.test(rel)) await this.client.delete(this.keys.contentDir(rel) + NAMESPACE_MARKER);
  }

  async removeTree(rel: string): Promise<void> {
    if (rel === "") throw new Error("refusing to remove the datastore base directory");
    try {
      await this.client.deletePrefix(this.keys.contentDir(rel));
    } catch (err) {
      // The cache goes anyway (an aborted backup must not leave its snapshot behind because the
      // store went away); what stays in the bucket is stray content the next GC removes.
      await this.cache.removeTree(rel);
      throw err;
    }
    await this.cache.removeTree(rel);
  }

  async unlink(rel: string, options?: { missingOk?: boolean }): Promise<void> {
    if (!LOCAL_ONLY.has(rel)) await this.client.delete(this.keys.content(rel));
    await this.cache.unlink(rel, options);
  }

  /**
   * PBS's S3 move (reference 4.6): copy every object to the target, rename the cache, delete the
   * sources. A failed copy leaves the source intact (partial copies stay behind, as in PBS, and
   * the retry overwrites them); a failed source delete is a warning.
   */
  async rename(fromRel: string, toRel: string): Promise<void> {
    const st = await this.cache.stat(fromRel);
    if (!st) throw new CofferError("NOT_FOUND", `cannot move ${JSON.stringify(this.absolute(fromRel))}: no such file or directory`);
    let sources: string[];
    const pairs: [string, string][] = [];
    if (st.isDirectory) {
      const from = this.keys.contentDir(fromRel);
      const to = this.keys.contentDir(toRel);
      try {
        sources = (await this.client.listAll(from)).map((o) => o.key);
      } catch (err) {
        throw new CofferError("INTERNAL", `failed to list snapshot objects on S3 backend - ${errorMessage(err)}`, { cause: err });
      }
      for (const key of sources) pairs.push([key, to + key.slice(from.length)]);
    } else {
      sources = [this.keys.content(fromRel)];
      pairs.push([sources[0]!, this.keys.content(toRel)]);
    }
    for (const [src, dst] of pairs) await this.client.copy(src, dst);
    await this.cache.rename(fromRel, toRel);
    try {
      await this.client.deleteMany(sources);
    } catch (err) {
      this.warn(
        `S3 move: failed to delete source object '${sources[0]}' (snapshot already at target, orphaned object requires manual removal): ${errorMessage(err)}`,
      );
    }
  }

  /** A local index file that is uploaded when its writer commits it. */
  indexFile(rel: string): IndexFile {
    const local = this.cache.indexFile(rel);
    const key = this.keys.content(rel);
    const abs = this.absolute(rel);
    return {
      display: local.display,
      read: () => local.read(),
      createTemp: async (ext) => {
        const temp = await local.createTemp(ext);
        return {
          display: temp.display,
          write: (data) => temp.write(data),
          discard: () => temp.discard(),
          commit: async () => {
            await temp.commit();
            try {
              await this.client.put(key, readFileSync(abs));
            } catch (err) {
              await this.cache.unlink(rel, { missingOk: true });
              throw err;
            }
          },
        };
      },
    };
  }
}
