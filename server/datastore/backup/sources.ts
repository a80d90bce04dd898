/**
 * Source readers: a file or block device cut into fixed-size chunks, and a byte stream (the
 * directory stream) cut by content. Both yield chunk buffers with room for the blob header in
 * front (chunk-hasher.ts), so a chunk is hashed and stored without further copies, and both ask
 * the job's rate limiter before every read.
 */
import type { FileHandle } from "node:fs/promises";
import { CofferError } from "../model/errors";
import { FastChunker } from "./cdc";
import { allocateChunk, BLOB_HEADER_ROOM, chunkFrom } from "./chunk-hasher";
import type { RateLimiter } from "./rate-limit";

export interface ReadOptions {
  limiter?: RateLimiter;
  signal?: AbortSignal;
}

/**
 * Chunks of an open file or block device. `size` is the regular file's size when the read
 * began: reading stops there (an image grows only by an explicit resize) and a file that ends
 * before it fails the job. Block devices (`size` undefined) are read to their end.
 */
export async function* fixedChunks(
  fh: FileHandle,
  size: number | undefined,
  chunkSize: number,
  what: string,
  opts: ReadOptions = {},
): AsyncGenerator<ArrayBuffer> {
  let pos = 0;
  for (;;) {
    const want = size === undefined ? chunkSize : Math.min(chunkSize, size - pos);
    if (want <= 0) return;
    opts.signal?.throwIfAborted();
    await opts.limiter?.take(want, opts.signal);
    const { buffer, data } = allocateChunk(want);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await fh.read(data, got, want - got, pos + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    if (got < want) {
      if (size !== undefined) {
        throw new CofferError("CONFLICT", `${what} shrank while it was read (expected ${size} bytes, it ended at ${pos + got})`);
      }
      if (got === 0) return;
      yield buffer.slice(0, BLOB_HEADER_ROOM + got);
      return;
    }
    pos += got;
    yield buffer;
  }
}

/**
 * Cuts a byte stream where the rolling-hash chunker finds boundaries (PBS's dynamic chunking),
 * `avgSize` bytes per chunk on average (a quarter of it at least, four times at most).
 */
export async function* contentChunks(source: AsyncIterable<Buffer>, avgSize: number): AsyncGenerator<ArrayBuffer> {
  const chunker = new FastChunker(avgSize);
  let pending: Buffer[] = [];
  let pendingLen = 0;
  for await (const piece of source) {
    let buf = piece;
    while (buf.length > 0) {
      const boundary = chunker.scan(buf);
      if (boundary === 0) {
        pending.push(buf);
        pendingLen += buf.length;
        break;
      }
      pending.push(buf.subarray(0, boundary));
      pendingLen += boundary;
      yield chunkFrom(pending, pendingLen);
      pending = [];
      pendingLen = 0;
      buf = buf.subarray(boundary);
    }
  }
  if (pendingLen > 0) yield chunkFrom(pending, pendingLen);
}
