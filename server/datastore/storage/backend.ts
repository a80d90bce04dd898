/**
 * The datastore's content I/O, behind one interface (DESIGN.md section 3). The local file system
 * is the first implementation (`local-backend.ts`); an S3-compatible object store with a local
 * cache (PBS 4.2 reference 1.7, 5.5) is meant to be a second one, added without touching the
 * engine. Locks, tasks and config are not content and stay local (server/config, locks.ts).
 *
 * All paths are relative to the datastore base, with `/` separators, never starting with `/`
 * and never containing `..` (checked by `assertRelative`).
 */
import { CofferError } from "../model/errors";
import type { IndexFile } from "../format/index-file";

export interface EntryInfo {
  name: string;
  isDirectory: boolean;
  isFile: boolean;
}

export interface StatInfo {
  size: number;
  isDirectory: boolean;
  isFile: boolean;
  mtimeMs: number;
  atimeMs: number;
}

export interface ContentBackend {
  readonly kind: "filesystem" | "s3";
  /** Absolute base directory (for S3: the local cache). */
  readonly base: string;
  /** Absolute path of a relative one, for messages and the move journal. */
  absolute(rel: string): string;

  readFile(rel: string): Promise<Buffer>;
  /** Reads a file, or returns undefined when it does not exist. */
  readFileIfExists(rel: string): Promise<Buffer | undefined>;
  /** Writes through a temporary file in the same directory and renames it into place. */
  writeFileAtomic(rel: string, data: Uint8Array | string): Promise<void>;
  /** Creates a new file; fails with EEXIST if it exists (PBS create-new, O_EXCL). */
  createFileExclusive(rel: string, data: Uint8Array | string): Promise<void>;
  /** Lists a directory; a missing directory lists as empty when `missingOk`. */
  list(rel: string, options?: { missingOk?: boolean }): Promise<EntryInfo[]>;
  stat(rel: string): Promise<StatInfo | undefined>;
  /**
   * Stats many entries of one directory at once (undefined where one does not exist), for
   * listings that check a cache entry per group: one trip per batch instead of one per entry.
   * `names` are plain entry names (no `/`, not `.` or `..`).
   */
  statEntries(dirRel: string, names: readonly string[]): Promise<(StatInfo | undefined)[]>;
  exists(rel: string): Promise<boolean>;
  /** Creates a directory; returns false when it already existed. */
  mkdir(rel: string, options?: { recursive?: boolean }): Promise<boolean>;
  /** Removes an empty directory. Errors (ENOENT, ENOTEMPTY) pass through with their errno code. */
  rmdir(rel: string): Promise<void>;
  /** Removes a directory and everything below it. */
  removeTree(rel: string): Promise<void>;
  /** Removes a file; a missing file is fine when `missingOk`. */
  unlink(rel: string, options?: { missingOk?: boolean }): Promise<void>;
  rename(fromRel: string, toRel: string): Promise<void>;
  /** An index file (`.fidx`/`.didx`), for the index readers and writers of format/. */
  indexFile(rel: string): IndexFile;
  /**
   * Reads a whole index file for garbage collection, which reads every index of the store;
   * undefined when it does not exist (pruned or moved meanwhile).
   */
  readIndexForGc(rel: string): Promise<Buffer | undefined>;
  /** The datastore-relative path of an absolute one under the base (move journal entries); undefined outside it. */
  relative(absolute: string): string | undefined;
}

export interface ChunkInsertResult {
  /** The chunk was already there (only its atime was touched). */
  exists: boolean;
  /** Bytes the stored chunk file takes. */
  size: number;
}

export interface StoredChunkTimes {
  identity: string;
  /** Nanoseconds. */
  atimeNs: bigint;
  atime: Date;
  mtime: Date;
  birthtime: Date;
}

/** One file in the chunk store, as the GC sweep sees it. */
export interface StoredChunkFile {
  /** `<64 hex>`, or `<64 hex>.<n>.bad` for a corrupt chunk verify renamed. */
  name: string;
  bad: boolean;
  size: number;
  /** Last access, whole seconds. */
  atime: number;
}

export interface ChunkBackend {
  /** Inserts a chunk (an encoded DataBlob) under its digest, deduplicating. */
  insertChunk(digest: Uint8Array, encodedBlob: Uint8Array): Promise<ChunkInsertResult>;
  /** Reads the raw (encoded) chunk file. */
  readChunk(digest: Uint8Array): Promise<Buffer>;
  /**
   * Times of a stored chunk for GC's access-time safety check; `identity` changes when the file
   * is replaced (the inode on the local store). Undefined when it does not exist.
   */
  chunkTimes(digest: Uint8Array): Promise<StoredChunkTimes | undefined>;
  /** Sets the atime to now; false when the chunk does not exist. */
  touchChunk(digest: Uint8Array): Promise<boolean>;
  chunkExists(digest: Uint8Array): Promise<boolean>;
  /** Relative path of a chunk: `.chunks/<4 hex>/<64 hex>`. */
  chunkPath(digest: Uint8Array): string;
  /**
   * A local file holding the chunk's stored bytes, for verify's worker threads, which read
   * chunks themselves (the local store's own file; a remote store would name its cached copy).
   */
  chunkFileForWorkers(digest: Uint8Array): string;
  /** A remote store's step before `chunkFileForWorkers`: bring the chunk into the local cache. */
  fetchToCache?(digest: Uint8Array): Promise<void>;
  /** A remote store's check before GC that it can be reached at all. */
  checkReachable?(): Promise<void>;

  // Garbage collection (reference 5.2, 5.3). The local store does these synchronously in one
  // call (see gc/gc-pace.ts: an await per chunk would double GC's time); callers keep slices short.

  /**
   * Phase 1: sets each chunk's access time to `atime` (seconds), keeping its mtime. `hexDigests`
   * are 64-hex digests; returns those that do not exist.
   */
  markChunksUsed(hexDigests: readonly string[], atime: number): Promise<string[]>;
  /** Phase 1: keeps the `.bad` copies of a missing chunk as recent as the chunk would be. */
  markBadCopiesUsed(hexDigest: string, atime: number): Promise<void>;
  /** Phase 2: the chunk and `.bad` files of prefix bucket `prefix` (0..0xffff); undefined when it is missing. */
  listChunkBucket(prefix: number): Promise<StoredChunkFile[] | undefined>;
  /**
   * Phase 2: removes an unused chunk file unless a writer touched it (atime >= `minAtime`) since
   * it was listed; false when it was kept for that reason. `.bad` files are removed outright.
   */
  removeUnusedChunk(file: StoredChunkFile, minAtime: number): Promise<boolean>;
}

export interface DatastoreBackend extends ContentBackend {
  readonly chunks: ChunkBackend;
}

/** Refuses paths that could leave the datastore. */
export function assertRelative(rel: string): string {
  if (rel.startsWith("/") || rel.includes("\0") || rel.split("/").some((p) => p === "..")) {
    throw new CofferError("BAD_REQUEST", `refusing path outside the datastore: ${JSON.stringify(rel)}`);
  }
  return rel;
}
